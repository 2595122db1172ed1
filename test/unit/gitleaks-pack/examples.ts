/**
 * True and false examples of every rule of SecBot's gitleaks pack, in the manner of gitleaks' own rule tests. A true
 * example must be reported by its rule; a false one must not be reported by any rule. Secret values are made at run
 * time (test/helpers/fake-values.ts).
 */
import { alnum, b64, b64url, base32, crypt, HEX, hex, lower, password as pw, pem, uuid } from '../../helpers/fake-values.ts';

export interface Example {
  path: string;
  text: string;
}
export interface RuleExamples {
  rule: string;
  /** For a helper rule that is never reported alone (skipReport): the rule whose findings it enables. */
  reportedAs?: string;
  /** Rules that may report a false example all the same (a path rule on the same file). */
  tolerate?: string[];
  tp: Example[];
  fp: Example[];
}

const ex = (path: string, text: string): Example => ({ path, text: text.endsWith('\n') ? text : `${text}\n` });

export function ruleExamples(): RuleExamples[] {
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
    {
      rule: 'secbot-netrc-password',
      tp: [
        ex('home/.netrc', `machine ftp.corp.io login deploy password ${pw()}`),
        ex('ci/setup.sh', `echo "machine gitlab.corp.io login ci password ${alnum(20)}" > ~/.netrc`),
      ],
      fp: [ex('docs/netrc.txt', 'machine example.com login user password changeme\nmachine h login u password $TOKEN')],
    },
    {
      rule: 'secbot-netrc-file-password',
      tp: [
        ex('home/.netrc', `machine gitlab.corp.io\n  login ci-bot\n  password ${pw()}`),
        ex('_netrc', `machine h\nlogin u\npassword ${pw()}`),
        ex('home/.msmtprc', `account default\nhost smtp.corp.io\npassword ${pw()}`),
      ],
      fp: [ex('home/.netrc', 'machine gitlab.corp.io\n  login ci-bot\n  password ${GITLAB_TOKEN}\n  password <token>')],
    },
    {
      rule: 'secbot-pgpass-password',
      tp: [ex('home/.pgpass', `db1.corp.io:5432:orders:app:${pw()}\n*:5432:*:replicator:${pw()}`)],
      fp: [ex('home/.pgpass', '# hostname:port:database:username:password\nlocalhost:5432:dev:dev:${PGPASSWORD}')],
    },
    {
      rule: 'secbot-npmrc-auth',
      tp: [
        ex('.npmrc', `//npm.corp.io/repository/npm/:_auth=${b64(32)}`),
        ex('.npmrc', `//npm.corp.io/:_password=${b64(24)}`),
        ex('.yarnrc.yml', `npmRegistries:\n  "//npm.corp.io":\n    npmAuthToken: ${uuid()}`),
      ],
      fp: [ex('.npmrc', '//npm.pkg.github.com/:_authToken=${GITHUB_TOKEN}\nalways-auth=true\n//r/:_password=<PASSWORD>')],
    },
    {
      rule: 'secbot-docker-registry-auth',
      tp: [
        ex('.docker/config.json', `{ "auths": { "registry.corp.io": { "auth": "${b64(40)}=" } } }`),
        ex('.dockercfg', `{"quay.io":{"auth":"${b64(44)}","email":"ops@corp.io"}}`),
        ex('containers/auth.json', `{ "auths": { "r": { "identitytoken": "${b64url(60)}" } } }`),
      ],
      fp: [ex('.docker/config.json', '{ "auths": { "ghcr.io": {} }, "credsStore": "desktop", "auth": "" }')],
    },
    {
      rule: 'secbot-composer-auth-token',
      tp: [
        ex('auth.json', `{\n  "github-oauth": {\n    "github.com": "${hex(40)}"\n  }\n}`),
        ex('composer.json', `{ "config": { "bearer": { "repo.corp.io": "${alnum(32)}" } } }`),
      ],
      fp: [ex('auth.json', '{ "github-oauth": {}, "gitlab-token": { "gitlab.corp.io": "${GITLAB_TOKEN}" } }')],
    },
    {
      rule: 'secbot-gradle-credentials',
      tp: [
        ex('build.gradle', `maven {\n  credentials {\n    username "deployer"\n    password "${pw()}"\n  }\n}`),
        ex('build.gradle.kts', `credentials {\n    password = "${pw()}"\n}`),
      ],
      fp: [ex('build.gradle', 'credentials {\n  password = System.getenv("REPO_PASSWORD")\n  password "$repoPassword"\n  password project.findProperty("pw")\n}')],
    },
    {
      rule: 'secbot-aws-secret-access-key',
      tp: [
        ex('.aws/credentials', `[default]\naws_secret_access_key = ${b64(40)}`),
        ex('src/s3.py', `s3 = boto3.client("s3", aws_secret_access_key="${b64(40)}")`),
        ex('ci.yml', `AWS_SECRET_ACCESS_KEY: "${b64(40)}"`),
      ],
      fp: [ex('.aws/credentials', 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\naws_secret_access_key = ${AWS_SECRET}')],
    },
    {
      rule: 'secbot-aws-session-token',
      tp: [ex('.aws/credentials', `aws_session_token = ${b64(180)}`)],
      fp: [ex('.aws/credentials', 'aws_session_token = ${AWS_SESSION_TOKEN}')],
    },
    {
      rule: 'secbot-s3cfg-secret',
      tp: [ex('.s3cfg', `[default]\naccess_key = AKIA${base32(16).toUpperCase()}\nsecret_key = ${b64(40)}\ngpg_passphrase = ${pw()}`)],
      fp: [ex('.s3cfg', '[default]\nsecret_key =\ngpg_passphrase =\nhost_base = s3.amazonaws.com')],
    },
    {
      rule: 'secbot-gcp-oauth-client-secret',
      tp: [ex('client_secret.json', `{"installed":{"client_secret":"GOCSPX-${b64url(28)}"}}`)],
      fp: [ex('client_secret.json', '{"installed":{"client_secret":"GOCSPX-xxxx"}}')],
    },
    {
      rule: 'secbot-google-refresh-token',
      tp: [ex('application_default_credentials.json', `{ "refresh_token": "1//0${b64url(100)}", "type": "authorized_user" }`)],
      fp: [ex('docs.md', 'a path like 1//0 is not a token')],
    },
    {
      rule: 'secbot-azure-storage-account-key',
      tp: [ex('local.settings.json', `{ "AzureWebJobsStorage": "DefaultEndpointsProtocol=https;AccountName=corp;AccountKey=${b64(86)}==;EndpointSuffix=core.windows.net" }`)],
      fp: [ex('local.settings.json', '{ "AzureWebJobsStorage": "UseDevelopmentStorage=true", "k": "AccountKey=<key>" }')],
    },
    {
      rule: 'secbot-azure-shared-access-key',
      tp: [ex('app.config', `Endpoint=sb://corp.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey=${b64(43)}=`)],
      fp: [ex('app.config', 'Endpoint=sb://corp.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey={key}')],
    },
    {
      rule: 'secbot-azure-sas-token',
      tp: [ex('backup.sh', `URL="https://corp.blob.core.windows.net/b?sv=2022-11-02&ss=b&srt=co&sp=rl&se=2030-01-01&spr=https&sig=${b64(43)}%3D"`)],
      fp: [ex('backup.sh', 'URL="https://corp.blob.core.windows.net/b?sv=2022-11-02&sig=$SAS_SIG"')],
    },
    {
      rule: 'secbot-azure-devops-pat',
      tp: [ex('pipeline-vars.yml', `variables:\n  azure_devops_pat: ${base32(52)}`), ex('.env.ci', `AZURE_DEVOPS_EXT_PAT=${base32(52)}`)],
      fp: [ex('pipeline-vars.yml', 'variables:\n  azure_devops_pat: $(System.AccessToken)')],
    },
    {
      rule: 'secbot-digitalocean-legacy-token',
      tp: [ex('do.sh', `export DIGITALOCEAN_TOKEN=${hex(64)}`), ex('tugboat.yml', `tugboat_access_token: ${hex(64)}`)],
      fp: [ex('do.sh', 'export DIGITALOCEAN_TOKEN=$DO_TOKEN\ndo_token: 0000000000000000000000000000000000000000000000000000000000000000')],
    },
    {
      rule: 'secbot-heroku-netrc',
      tp: [ex('home/.netrc', `machine api.heroku.com\n  login dev@corp.io\n  password ${uuid()}`)],
      fp: [ex('home/.netrc', 'machine api.heroku.com\n  login dev@corp.io\n  password ${HEROKU_API_KEY}')],
    },
    {
      rule: 'secbot-putty-private-key',
      tp: [
        ex('keys/deploy.ppk', `PuTTY-User-Key-File-3: ssh-rsa\nEncryption: none\nComment: c\nPublic-Lines: 2\n${b64(64)}\n${b64(40)}\nPrivate-Lines: 2\n${b64(64)}\n${b64(30)}\nPrivate-MAC: ${hex(64)}`),
        ex('keys/old.ppk', `PuTTY-User-Key-File-2: ssh-ed25519\nEncryption: aes256-cbc\nComment: c\nPublic-Lines: 1\n${b64(60)}\nPrivate-Lines: 1\n${b64(44)}\nPrivate-MAC: ${hex(40)}`),
      ],
      fp: [ex('docs/putty.md', 'A PuTTY-User-Key-File-3 header starts a .ppk file; Private-Lines: counts the lines that follow.')],
    },
    {
      rule: 'secbot-kubeconfig-client-key',
      tp: [ex('kubeconfig', `users:\n- name: admin\n  user:\n    client-key-data: ${b64(200)}`)],
      fp: [ex('kubeconfig', 'users:\n- name: admin\n  user:\n    client-key-data: REDACTED\n    client-certificate-data: DATA+OMITTED')],
    },
    {
      rule: 'secbot-kubernetes-bootstrap-token',
      tp: [ex('join.sh', `kubeadm join 10.0.0.1:6443 --token ${lower(6)}.${lower(16)} --discovery-token-ca-cert-hash sha256:${hex(64)}`)],
      fp: [ex('join.sh', 'kubeadm join 10.0.0.1:6443 --token abcdef.0123456789abcdef\nkubeadm join --token <token>')],
    },
    {
      rule: 'secbot-kubernetes-secret-value',
      tp: [
        ex('k8s/secret.yaml', `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\ndata:\n  password: ${b64(24)}\n  api-token: ${b64(44)}`),
        ex('k8s/regcred.yml', `kind: Secret\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: ${b64(160)}`),
      ],
      fp: [ex('k8s/secret.yaml', 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db-credentials-prod\n  namespace: shop-production\ntype: Opaque\ndata:\n  password: ""')],
    },
    {
      rule: 'secbot-kubernetes-secret-kind',
      reportedAs: 'secbot-kubernetes-secret-value',
      tp: [ex('k8s/secret.json', `{\n  "kind": "Secret",\n  "data": {\n    "token": "${b64(40)}"\n  }\n}`)],
      fp: [ex('k8s/configmap.yaml', `apiVersion: v1\nkind: ConfigMap\ndata:\n  checksum: ${b64(24)}\n  build: ${alnum(20)}`)],
    },
    {
      rule: 'secbot-terraform-state-secret',
      tolerate: ['secbot-terraform-state-file'],
      tp: [ex('terraform.tfstate', `{ "attributes": {\n  "password": "${pw()}",\n  "secret": "${b64(40)}"\n} }`)],
      fp: [ex('terraform.tfstate', '{ "attributes": { "password": "", "secret_name": "db" } }')],
    },
    {
      rule: 'secbot-rails-master-key',
      tp: [ex('config/master.key', hex(32)), ex('config/credentials/production.key', hex(32))],
      fp: [ex('config/master.key', 'not a key'), ex('app/models/master.rb', hex(32))],
    },
    {
      rule: 'secbot-rails-secret-key-base',
      tp: [ex('config/secrets.yml', `production:\n  secret_key_base: ${hex(128)}`), ex('.env.production', `SECRET_KEY_BASE=${hex(128)}`)],
      fp: [ex('config/secrets.yml', 'production:\n  secret_key_base: <%= ENV["SECRET_KEY_BASE"] %>')],
    },
    {
      rule: 'secbot-django-secret-key',
      tp: [ex('app/settings.py', `SECRET_KEY = 'django-insecure-${pw(50)}'`), ex('project/base.py', `SECRET_KEY = "${alnum(50)}"`)],
      fp: [ex('app/settings.py', "SECRET_KEY = os.environ['SECRET_KEY']\nSECRET_KEY = '{{ secret_key }}'\nSECRET_KEY = 'change-me-in-production-please'")],
    },
    {
      rule: 'secbot-password-hash',
      tp: [
        ex('web/.htpasswd', `admin:$apr1$${crypt(8)}$${crypt(22)}`),
        ex('etc/shadow', `root:$6$${crypt(16)}$${crypt(86)}:19000:0:99999:7:::`),
        ex('db/dump.sql', `(1,'a@corp.io','$2y$12$${crypt(53)}'),`),
        ex('seed.json', `{ "hash": "$argon2id$v=19$m=65536,t=3,p=4$${b64(22)}$${b64(43)}" }`),
        ex('users.csv', `dan,pbkdf2_sha256$600000$${alnum(22)}$${b64(43)}=`),
        ex('wp_users.sql', `(3,'cho','$P$${crypt(31)}')`),
        ex('ldap.ldif', `userPassword: {SSHA}${b64(32)}`),
        ex('hashes.txt', `Administrator:500:${hex(32)}:${hex(32)}:::`),
        ex('etc/shadow', `ops:$y$j9T$${crypt(22)}$${crypt(43)}:19100:0:99999:7:::`),
      ],
      fp: [
        ex('docs/hashing.md', `// => $2b$10$${crypt(53)}`),
        ex('hashes.txt', 'Guest:501:00000000000000000000000000000000:00000000000000000000000000000000:::'),
        ex('src/price.ts', 'const label = `$1$ and $2$`;'),
      ],
    },
    {
      rule: 'secbot-htpasswd-entry',
      tp: [ex('web/.htpasswd', `olduser:${crypt(13)}`), ex('etc/shadow', `legacy:${crypt(13)}:19000:0:99999:7:::`)],
      fp: [ex('etc/shadow', 'daemon:*:19000:0:99999:7:::\nnobody:!:19000:0:99999:7:::\nuser:x:1000:1000::/home/user:/bin/bash')],
    },
    {
      rule: 'secbot-mysql-password-hash',
      tp: [ex('db/users.sql', `UPDATE mysql.user SET authentication_string='*${HEX(40)}' WHERE User='legacy';`)],
      fp: [ex('db/users.sql', "SELECT * FROM t WHERE note = '*important*';")],
    },
    {
      rule: 'secbot-sql-password-statement',
      tp: [
        ex('db/roles.sql', `CREATE ROLE app WITH LOGIN PASSWORD '${pw()}';`),
        ex('db/users.sql', `CREATE USER 'report'@'%' IDENTIFIED BY '${pw()}';`),
        ex('migrate.sql', `ALTER USER reporting WITH PASSWORD '${pw()}';`),
        ex('mysql.sql', `SET PASSWORD FOR 'bob'@'%' = PASSWORD('${pw()}');`),
      ],
      fp: [ex('db/roles.sql', "CREATE ROLE readonly NOLOGIN;\nALTER USER app WITH PASSWORD :'app_password';\nCREATE USER 'x'@'%' IDENTIFIED BY 'password';")],
    },
    {
      rule: 'secbot-sql-user-table-dump',
      tp: [ex('db/dump.sql', "INSERT INTO `users` (`id`, `email`, `password`) VALUES\n(1,'a@corp.io','x');")],
      fp: [ex('db/dump.sql', "INSERT INTO `orders` (`id`, `total`) VALUES (1, 3);\nINSERT INTO users (id, email) VALUES (1, 'a@corp.io');")],
    },
    {
      rule: 'secbot-firefox-encrypted-login',
      tp: [ex('profile/logins.json', `{"logins":[{"hostname":"https://corp.io","encryptedPassword":"MDoEEPgAAAAAAAAAAAAAAAAAAAEwFAYIKoZIhvcNAwcE${b64(24)}"}]}`)],
      fp: [ex('profile/logins.json', '{"logins":[],"encryptedPassword":""}')],
    },
    {
      rule: 'secbot-browser-logins-row',
      tp: [
        ex('export/chrome-passwords.csv', `name,url,username,password,note\ncorp.io,https://corp.io/login,ana@corp.io,${pw()},`),
        ex('export/firefox.csv', `"url","username","password","httpRealm"\n"https://vpn.corp.io","ben","${pw()}",`),
      ],
      fp: [
        ex('data/links.csv', `title,url,author,notes\nHome,https://corp.io/,ana,${alnum(12)}`),
        ex('export/chrome-passwords.csv', 'name,url,username,password\nexample.com,https://example.com/,user,password'),
      ],
    },
    {
      rule: 'secbot-browser-logins-header',
      reportedAs: 'secbot-browser-logins-row',
      tp: [ex('bitwarden.csv', `login_uri,login_username,login_password\nhttps://corp.io,ana,${pw()}`)],
      fp: [ex('sites.csv', `url,user,comment\nhttps://corp.io,ana,${pw()}`)],
    },
    {
      rule: 'secbot-vault-password-file',
      tp: [ex('ansible/.vault_pass', 'x'), ex('.vault-password.txt', 'x')],
      fp: [ex('docs/vault.md', 'Keep the .vault_pass file out of the repository.'), ex('ansible/vault.yml', 'x: 1')],
    },
    {
      rule: 'secbot-terraform-state-file',
      tp: [ex('infra/terraform.tfstate', '{ "version": 4 }'), ex('infra/prod.tfstate.backup', '{ "version": 4 }')],
      fp: [ex('infra/state.tf', 'terraform { backend "s3" {} }')],
    },
  ];
}

/** Values SecBot's global allowlists must drop whatever rule matches them, each in a file a pack rule reads. */
export function placeholderExamples(): Example[] {
  const values = [
    'changeme', 'change-me', 'CHANGEME', 'xxxxxxxx', '********', '${DB_PASSWORD}', '$DB_PASSWORD', '<password>', '[PASSWORD]',
    '{{ db_password }}', '%(password)s', 'your-password', 'your_password_here', 'my-secret-password', 'dummy', 'example-password',
    'password', 'secret', 'test1234', 'fake-secret', 'placeholder', 'REDACTED', 'null', 'None', 'true', 'os.environ.get("PW")',
    'env("DB_PASSWORD")', 'getpass.getpass()', '/run/secrets/db_password', 'tiger', 'postgres', 'hunter2', 'password123', 'key_1234',
  ];
  return values.map((v, i) => ex(`placeholders/${i}/app.ini`, `[db]\npassword = ${v}\napi_token = ${v}\n`));
}
