/** True and false examples of the pack's rules for configuration files, source settings and connection strings. */
import { alnum, b64, b64url, HEX, hex, password as pw, uuid } from '../../helpers/fake-values.ts';
import { ex, type RuleExamples } from './examples-kit.ts';

export function configFileExamples(): RuleExamples[] {
  return [
    {
      rule: 'secbot-password-in-config',
      // A literal in application code (src/app.py) is not this rule's; gitleaks' generic-api-key may report it.
      tolerate: ['generic-api-key'],
      tp: [
        ex('config/app.ini', `[db]\nhost = db1\npassword = ${pw()}`),
        ex('config/database.yml', `production:\n  adapter: postgresql\n  password: "${pw()}"`),
        ex('src/main/resources/application.properties', `spring.datasource.password=${pw()}`),
        ex('appsettings.Production.json', `{ "Smtp": { "Password": "${pw()}" } }`),
        ex('.vscode/sftp.json', `{ "host": "h", "passphrase": "${pw()}" }`),
        ex('.ftpconfig', `{ "user": "u", "pass": "${pw()}" }`),
        ex('robomongo.json', `{ "userPassword": "${pw()}" }`),
        ex('WinSCP.ini', `[Sessions\\a]\nPassword=A35C${HEX(40)}`),
        ex('home/.esmtprc', `password = "${pw()}"`),
        ex('infra/prod.tfvars', `db_password = "${pw()}"`),
        ex('.idea/webServers.xml', `<fileTransfer host="h" login="u" password="${hex(32)}" />`),
        ex('.pypirc', `[corp]\nusername = u\npassword = ${pw()}`),
        ex('gradle.properties', `systemProp.http.proxyPassword=${pw()}`),
        ex('k8s/kubeconfig', `users:\n- name: basic\n  user:\n    password: ${pw()}`),
        ex('config.toml', `db_pass = "${pw()}"`),
        ex('etc/sssd/sssd.conf', `[domain/corp]\nldap_default_authtok = ${pw()}`),
      ],
      fp: [
        ex('config/app.ini', 'password = ${DB_PASSWORD}\npassword = changeme\npassword =\npassword = <password>'),
        ex('config/database.yml', "password: <%= ENV['DB_PASSWORD'] %>\npassword: !vault |\npassword: \"{{ vault_db_password }}\""),
        ex('conf.yml', 'password_min_length: 12\npassword_file: /run/secrets/db\npasswordField: pass\nbypass: true\npassword: null'),
        ex('settings.json', '{ "password": "", "password": true, "passwordPolicy": "strong", "password": "your_password_here" }'),
        ex('openapi.yml', 'properties:\n  password:\n    type: string\n    example: example-password'),
        ex('app.properties', 'spring.datasource.password=${DB_PASSWORD:}\nldap.password=ENC(abcdefgh12345)'),
        ex('scripts/run.sh', `export DB_PASSWORD=$1`),
        ex('src/app.py', `password = "${pw()}"`),
      ],
    },
    {
      rule: 'secbot-secret-in-config',
      tp: [
        ex('config/secrets.yml', `production:\n  secret_key_base: ${alnum(40)}`),
        ex('hub', `github.com:\n- user: ana\n  oauth_token: ${hex(40)}\n  protocol: https`),
        ex('cloud/.tugboat', `authentication:\n  access_token: ${hex(64)}`),
        ex('heroku.json', `{ "api_key": "${uuid()}" }`),
        ex('appsettings.json', `{ "Jwt": { "SigningKey": "${alnum(48)}" } }`),
        ex('terraform.tfvars', `datadog_api_key = "${hex(32)}"`),
        ex('app.conf', `client_secret = ${b64url(32)}`),
      ],
      fp: [
        ex('config.yml', 'next_token: eyAbCdEf12345678\npublic_key: MFkwEwYHKoZIzj0CAQY\ncsrf_token: abcdefghijklmnop'),
        ex('config.json', '{ "credentials": "same-origin", "token_url": "https://auth.corp.io/oauth/token", "secret_name": "db-password-prod" }'),
        ex('app.yaml', 'api_key: ${API_KEY}\ntoken: "{{ .Values.token }}"\nsecret: secret'),
        ex('terraform.tfvars', 'api_key = var.api_key\ntoken = "xxxxxxxxxxxxxxxx"'),
        ex('keys.yml', `private_key: "-----BEGIN RSA PRIVATE KEY-----\\nMIIEow"`),
      ],
    },
    {
      rule: 'secbot-shell-assignment-secret',
      tp: [
        ex('home/.bashrc', `export DATABASE_PASSWORD='${pw()}'`),
        ex('home/.bash_profile', `export AWS_SECRET_ACCESS_KEY=${b64(40)}`),
        ex('home/.zshrc', `export SENTRY_AUTH_TOKEN=${hex(64)}`),
        ex('web/.env', `DB_PASSWORD=${pw()}\nAPP_KEY=base64:${b64(43)}=`),
        ex('azure/storage.env', `MAIL_PASSWORD="${pw()}"`),
        ex('Dockerfile', `FROM alpine\nENV NPM_TOKEN=${alnum(36)}\nARG DB_PASSWORD=${pw()}`),
        ex('deploy/run.sh', `#!/bin/sh\nDEPLOY_PASSWORD='${pw()}'`),
        ex('.envrc', `export VAULT_TOKEN=${alnum(26)}`),
      ],
      fp: [
        ex('home/.bashrc', 'export NPM_TOKEN="${NPM_TOKEN:-}"\nexport SECRET=$(vault kv get -field=value secret/app)\nexport PASSWORD_STORE_DIR=~/.password-store'),
        ex('web/.env.example', 'DB_PASSWORD=your_password_here\nAPI_TOKEN=<token>\nSECRET_KEY=changeme\nMAIL_PASSWORD=\nREDIS_PASSWORD=null'),
        ex('deploy.sh', 'export PASSWORD="$1"\nTOKEN=$(cat /run/secrets/token)\nset -euo pipefail\nTOKEN_FILE=/run/secrets/token\nSSH_HOST_KEY=ssh-ed25519'),
        ex('Dockerfile', 'ENV API_TOKEN=${API_TOKEN}\nRUN --mount=type=secret,id=npmrc npm ci\nENV NODE_ENV=production'),
        ex('.env', 'STRIPE_PUBLISHABLE_KEY=pk_live_abc\nRECAPTCHA_SITE_KEY=6LeIxAcTAAAAAJcZ\nAWS_SECRET_ACCESS_KEY='),
      ],
    },
  ];
}

export function sourceConfigExamples(): RuleExamples[] {
  return [
    {
      rule: 'secbot-password-in-code-config',
      tolerate: ['generic-api-key'],
      tp: [
        ex('shop/settings.py', `DATABASES = {\n    'default': {\n        'PASSWORD': '${pw()}',\n    }\n}`),
        ex('shop/settings/production.py', `EMAIL_HOST_PASSWORD = "${pw()}"`),
        ex('web/config.php', `<?php\n$config['db']['password'] = '${pw()}';\n$db_pass = "${pw()}";`),
        ex('config/database.php', `<?php return ['mysql' => ['password' => '${pw()}']];`),
        ex('src/config.js', `module.exports = { db: { password: '${pw()}' } };`),
        ex('config/initializers/secrets.rb', `Stripe.api_key = "${alnum(32)}"`),
      ],
      fp: [
        ex('shop/settings.py', "'PASSWORD': os.environ['DB_PASSWORD'],\nSECRET_KEY = env('SECRET_KEY')\nPASSWORD_HASHERS = ['x']\nEMAIL_HOST_PASSWORD = ''"),
        ex('web/config.php', "<?php\n$smtp_password = getenv('SMTP_PASSWORD');\n'password' => '',\n'secret' => env('APP_SECRET'),"),
        ex('src/config.ts', "export const config = { passwordField: 'password', passwordMinLength: 12, password: process.env.DB_PASSWORD };"),
        ex('src/login.py', `password = "${pw()}"`),
      ],
    },
    {
      rule: 'secbot-php-define-secret',
      tp: [
        ex('wp-config.php', `<?php\ndefine( 'DB_PASSWORD', '${pw()}' );`),
        ex('wp-config.php', `<?php\ndefine('AUTH_KEY', '${pw(64)}');\ndefine('NONCE_SALT', '${pw(64)}');`),
        ex('inc/config.inc', `<?php define("API_TOKEN", "${alnum(32)}");`),
      ],
      fp: [
        ex('wp-config-sample.php', "<?php\ndefine( 'DB_PASSWORD', 'password_here' );\ndefine( 'AUTH_KEY', 'put your unique phrase here' );"),
        ex('wp-config.php', "<?php\ndefine( 'DB_PASSWORD', getenv('DB_PASSWORD') );\ndefine( 'WP_DEBUG', false );\ndefine( 'DB_USER', 'wp' );"),
      ],
    },
    {
      rule: 'secbot-password-in-xml',
      tp: [
        ex('.m2/settings.xml', `<server>\n  <id>corp</id>\n  <password>${pw()}</password>\n</server>`),
        ex('filezilla/sitemanager.xml', `<Server><User>u</User><Pass encoding="base64">${b64(24)}</Pass></Server>`),
        ex('web.config', `<appSettings><add key="SmtpPassword" value="${pw()}" /></appSettings>`),
        ex('.m2/settings-security.xml', `<settingsSecurity><master>{${b64(40)}}</master></settingsSecurity>`),
      ],
      fp: [
        ex('.m2/settings.xml', '<password>${env.MAVEN_PASSWORD}</password>\n<password></password>\n<password>your-password</password>'),
        ex('web.config', '<add key="PasswordLength" value="12" />\n<add key="Theme" value="dark" />'),
        ex('docs/readme.md', `<password>${pw()}</password>`),
      ],
    },
  ];
}

export function connectionExamples(): RuleExamples[] {
  return [
    {
      rule: 'secbot-uri-credentials',
      tp: [
        ex('services.yaml', `database_url: postgres://orders:${pw()}@pg.corp.io:5432/orders`),
        ex('src/db.ts', `const url = "mongodb+srv://app:${pw()}@cluster0.corp.mongodb.net/app";`),
        ex('config.py', `REDIS_URL = "redis://:${pw()}@redis.corp.io:6379/0"`),
        ex('worker.env', `BROKER=amqps://worker:${pw()}@mq.corp.io/vhost`),
        ex('.git-credentials', `https://jdoe:${pw()}@gitlab.corp.io`),
        ex('pip.conf', `[global]\nindex-url = https://deploy:${pw()}@pypi.corp.io/simple`),
      ],
      fp: [
        ex('docs/usage.md', 'postgres://user:password@localhost/db\nmysql://root:secret@db.example.com/test\nhttps://user:pass@host'),
        ex('src/db.ts', 'const url = `postgres://${user}:${pass}@${host}/db`;\nconst u = "amqp://guest:guest@localhost:5672";'),
        ex('config.yml', 'url: postgres://app:${DB_PASSWORD}@pg.corp.io/app\nurl: https://corp.io:8443/path'),
        ex('notes.txt', `see mysql://shop:${pw()}@db.shop.example/shop`),
      ],
    },
    {
      rule: 'secbot-curl-basic-auth',
      tp: [
        ex('deploy.sh', `curl -u "deploy:${pw()}" https://nexus.corp.io/`),
        ex('README.md', `curl --user admin:${alnum(16)} https://jenkins.corp.io/api/json`),
        ex('ci.yml', `script: curl -s -u 'ci:x${alnum(15)}' https://corp.io`),
      ],
      fp: [
        ex('README.md', 'curl -u "$USER:$PASSWORD" https://corp.io\ncurl -u user:password https://example.com\ncurl -u "admin:<password>" https://corp.io'),
      ],
    },
    {
      rule: 'secbot-cli-password-flag',
      tp: [
        ex('.github/workflows/deploy.yml', `      - run: docker login -u ci -p ${pw()} registry.corp.io`),
        ex('deploy.sh', `sshpass -p '${pw()}' ssh deploy@web01 uptime\nhelm registry login r.corp.io --username ci --password ${pw()}`),
        ex('backup.sh', `mysqldump -u backup -p${alnum(16)} shop > shop.sql`),
      ],
      fp: [
        ex('deploy.sh', 'docker login -u ci -p "$CI_REGISTRY_PASSWORD" $CI_REGISTRY\necho "$PW" | docker login --password-stdin -u ci r.io\nsshpass -p "$SSH_PASSWORD" ssh h'),
        ex('README.md', 'docker run --name mysql -p 3306:3306 mysql:8\nmysql -u root -p shop\ndocker login -u user -p <password> registry.example.com'),
      ],
    },
    {
      rule: 'secbot-redis-password',
      tp: [ex('redis.conf', `bind 0.0.0.0\nrequirepass ${pw(20)}`), ex('sentinel.conf', `sentinel monitor m 10.0.0.1 6379 2\nmasterauth "${pw(20)}"`)],
      fp: [ex('redis.conf', '# requirepass foobared\nrequirepass foobared\nrequirepass ${REDIS_PASSWORD}')],
    },
    {
      rule: 'secbot-jdbc-password',
      tp: [
        ex('application.yml', `url: jdbc:mysql://db.corp.io:3306/shop?user=shop&password=${pw()}&useSSL=true`),
        ex('app.properties', `db.url=jdbc:oracle:thin:scott/${pw()}@db.corp.io:1521:ORCL`),
        ex('ds.xml', `<url>jdbc:sqlserver://sql.corp.io;databaseName=shop;user=shop;password=${pw()};</url>`),
      ],
      fp: [
        ex('application.yml', 'url: jdbc:postgresql://db.corp.io:5432/shop\nurl: jdbc:mysql://h/db?user=u&password=${DB_PASSWORD}'),
      ],
    },
    {
      rule: 'secbot-connection-string-password',
      tp: [
        ex('appsettings.json', `{ "ConnectionStrings": { "Default": "Server=sql.corp.io;Database=Shop;User Id=shop;Password=${pw()};" } }`),
        ex('web.config', `<add name="Main" connectionString="Data Source=sql01;Initial Catalog=Shop;User ID=shop;Password=${pw()}" />`),
        ex('odbc.ini', `ConnStr=Driver={ODBC Driver 18};Server=tcp:h,1433;Uid=app;Pwd=${pw()};`),
      ],
      fp: [
        ex('appsettings.json', '{ "Default": "Server=sql.corp.io;Database=Shop;Integrated Security=True", "Other": "Server=h;Password=${SQL_PASSWORD};" }'),
      ],
    },
  ];
}
