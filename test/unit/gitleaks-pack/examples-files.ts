/** True and false examples of the pack's rules for tool credential files, cloud CLIs, keys, frameworks, hashes and exports. */
import { alnum, b64, b64url, base32, crypt, HEX, hex, lower, password as pw, uuid } from '../../helpers/fake-values.ts';
import { ex, type RuleExamples } from './examples-kit.ts';

export function toolFileExamples(): RuleExamples[] {
  return [
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
  ];
}

export function cloudExamples(): RuleExamples[] {
  return [
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
  ];
}

export function keyAndFrameworkExamples(): RuleExamples[] {
  return [
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
  ];
}

export function hashAndExportExamples(): RuleExamples[] {
  return [
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
