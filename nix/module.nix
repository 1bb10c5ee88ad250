{
  config,
  lib,
  pkgs,
  ...
}:

let
  inherit (lib)
    concatMapStringsSep
    concatStringsSep
    escapeShellArg
    hasInfix
    hasPrefix
    literalExpression
    mapAttrs'
    mapAttrsToList
    mkEnableOption
    mkIf
    mkMerge
    mkOption
    nameValuePair
    optional
    optionalAttrs
    optionals
    optionalString
    removePrefix
    types
    ;

  cfg = config.services.bitpoll;
  db = cfg.database;
  email = cfg.email;
  oidc = cfg.oidc;
  ldap = cfg.ldap;

  hardening = import ./hardening.nix;
  bitpoll = "${cfg.package}/bin/bitpoll";
  staticParent = "${cfg.package}/share/bitpoll";

  # IPv6 literals need brackets in URLs and in ListenStream=.
  bracketed = host: if hasInfix ":" host && !hasPrefix "[" host then "[${host}]" else host;
  isLoopback =
    host:
    builtins.elem host [
      "localhost"
      "::1"
      "[::1]"
    ]
    || hasPrefix "127." host;
  isSocketDir = host: hasPrefix "/" host;
  isInStore = path: hasPrefix "${builtins.storeDir}/" (toString path);

  listen = "${bracketed cfg.listenAddress}:${toString cfg.port}";
  # nginx reaches a wildcard listener through loopback.
  upstreamHost =
    if cfg.listenAddress == "0.0.0.0" then
      "127.0.0.1"
    else if cfg.listenAddress == "::" then
      "[::1]"
    else
      bracketed cfg.listenAddress;
  upstream = "${upstreamHost}:${toString cfg.port}";

  dbHost = if db.host == null then "/run/postgresql" else db.host;
  databaseUrl =
    if db.type == "sqlite" then
      "sqlite:///${cfg.dataDir}/bitpoll.sqlite3"
    else if isSocketDir dbHost then
      # Peer authentication: libpq takes the role name from the OS user.
      if db.user == cfg.user then
        "postgresql:///${db.name}?host=${dbHost}"
      else
        "postgresql://${db.user}@/${db.name}?host=${dbHost}"
    else
      "postgresql://${db.user}@${bracketed dbHost}:${toString db.port}/${db.name}"
      # TLS (database.tls): the certificate must be signed by caFile and issued for host.
      + optionalString db.tls.enable "?sslmode=verify-full";

  emailScheme =
    {
      starttls = "smtp+starttls";
      tls = "smtps";
      none = "smtp";
    }
    .${email.security};
  # Not percent-encoded: systemd would read "%40" as a specifier in
  # Environment=, and the app splits the login off at the last "@".
  emailUserInfo = optionalString (email.user != null) "${email.user}@";
  urlUnsafe = value: builtins.match ".*[:/?#%].*" value != null;
  emailUrl = "${emailScheme}://${emailUserInfo}${bracketed email.host}:${toString email.port}";

  envValue =
    value:
    if builtins.isBool value then
      lib.boolToString value
    else
      toString value;

  # systemd expands specifiers (%h, %n, ...) in Environment= and ExecStart=,
  # and NixOS writes values verbatim, so a literal % must be doubled there.
  # bitpoll-manage passes values over D-Bus (systemd-run --setenv), where
  # nothing is expanded, so it gets them unescaped.
  escapeSpecifiers = lib.replaceStrings [ "%" ] [ "%%" ];
  # One ExecStart= argument: bare when it is plainly safe, else quoted.
  execArg =
    arg:
    if builtins.match "[A-Za-z0-9_./:@+=,-]+" arg != null then
      arg
    else
      lib.replaceStrings [ "%" "$" ] [ "%%" "$$" ] (builtins.toJSON arg);

  # `settings` keys may be written with or without the BITPOLL_ prefix.
  settingsEnv = mapAttrs' (
    name: value: nameValuePair "BITPOLL_${removePrefix "BITPOLL_" name}" (envValue value)
  ) cfg.settings;
  settingsNames = builtins.attrNames settingsEnv;

  environment = {
    BITPOLL_DATA_DIR = toString cfg.dataDir;
    BITPOLL_ALLOWED_HOSTS = concatStringsSep "," cfg.allowedHosts;
    BITPOLL_BASE_URL = cfg.baseUrl;
    BITPOLL_BIND = listen;
    BITPOLL_WORKERS = toString cfg.workers;
    BITPOLL_DATABASE_URL = databaseUrl;
    BITPOLL_BEHIND_PROXY = lib.boolToString cfg.nginx.enable;
  }
  // optionalAttrs (email.host != null) { BITPOLL_EMAIL_URL = emailUrl; }
  // optionalAttrs (email.from != null) { BITPOLL_EMAIL_FROM = email.from; }
  # Mail (bitpoll.mail): retention only when on, so the app's default (off) stays the source.
  // optionalAttrs (cfg.retention.days > 0) {
    BITPOLL_POLL_RETENTION_DAYS = toString cfg.retention.days;
  }
  # The outbox's sender is bitpoll-mail.service (or, with mail.sender.enable off, none on this
  # host): `bitpoll serve` must not start one of its own (BITPOLL_MAIL_SENDER, its default
  # "serve" is for installs without such a unit).
  // optionalAttrs (cfg.mail.sender.enable || email.host != null) {
    BITPOLL_MAIL_SENDER = "external";
  }
  # Only when changed, so the app's own default stays the single source.
  // optionalAttrs (cfg.maxBodySize != defaultMaxBodySize) {
    BITPOLL_MAX_BODY_SIZE = toString cfg.maxBodySize;
  }
  # Accounts (docs/accounts.md).
  // optionalAttrs cfg.accounts.enable {
    BITPOLL_ACCOUNTS_ENABLED = "true";
    BITPOLL_ACCOUNTS_REGISTRATION = cfg.accounts.registration;
  }
  // ssoEnvironment
  # Several hosts and rollbacks (docs/scaling.md): only when changed, like the above.
  // optionalAttrs (cfg.snapshots.keep != 3) {
    BITPOLL_SNAPSHOT_KEEP = toString cfg.snapshots.keep;
  }
  // optionalAttrs cfg.allowNewerSchema { BITPOLL_ALLOW_NEWER_SCHEMA = "true"; }
  # PostgreSQL prepared statements (docs/configuration.md): only when turned off.
  // optionalAttrs (db.type == "postgresql" && !db.preparedStatements) {
    BITPOLL_DATABASE_PREPARED_STATEMENTS = "false";
  }
  // settingsEnv;
  unitEnvironment = lib.mapAttrs (_: escapeSpecifiers) environment;

  # The app's default cap on request bodies (BITPOLL_MAX_BODY_SIZE), 1 MiB.
  defaultMaxBodySize = 1048576;

  # Secrets reach the app as systemd credentials: systemd reads the files when
  # the unit starts, so they are never read at evaluation time nor copied into
  # the store.
  credentials =
    optional (cfg.secretKeyFile != null) "secret_key:${toString cfg.secretKeyFile}"
    ++ optional (db.passwordFile != null) "database_password:${toString db.passwordFile}"
    ++ optional (email.passwordFile != null) "email_password:${toString email.passwordFile}"
    # Not a secret, but a credential reaches the service whatever its file system sandbox.
    ++ optional (db.tls.enable && db.tls.caFile != null) "database_ca:${toString db.tls.caFile}"
    ++ ssoCredentials;

  # --- Single sign-on (OIDC, LDAP): environment, credentials, addresses ----------------
  ssoEnvironment =
    optionalAttrs oidc.enable (
      {
        BITPOLL_OIDC_ISSUER = toString oidc.issuer;
        BITPOLL_OIDC_CLIENT_ID = toString oidc.clientId;
        BITPOLL_OIDC_SCOPES = concatStringsSep " " oidc.scopes;
        BITPOLL_OIDC_USERNAME_CLAIM = oidc.usernameClaim;
      }
      // optionalAttrs (oidc.groupsClaim != null) { BITPOLL_OIDC_GROUPS_CLAIM = oidc.groupsClaim; }
      // optionalAttrs (oidc.displayName != null) { BITPOLL_OIDC_NAME = oidc.displayName; }
    )
    // optionalAttrs ldap.enable (
      {
        BITPOLL_LDAP_URI = toString ldap.uri;
        BITPOLL_LDAP_START_TLS = lib.boolToString ldap.startTls;
        BITPOLL_LDAP_USER_FILTER = ldap.userFilter;
        BITPOLL_LDAP_GROUP_FILTER = ldap.groupFilter;
        BITPOLL_LDAP_GROUP_TYPE = ldap.groupType;
        BITPOLL_LDAP_ATTR_NAME = ldap.nameAttribute;
        BITPOLL_LDAP_ATTR_EMAIL = ldap.emailAttribute;
      }
      // optionalAttrs (ldap.bindDn != null) { BITPOLL_LDAP_BIND_DN = ldap.bindDn; }
      // optionalAttrs (ldap.userSearchBase != null) {
        BITPOLL_LDAP_USER_SEARCH_BASE = ldap.userSearchBase;
      }
      // optionalAttrs (ldap.userDnTemplate != null) {
        BITPOLL_LDAP_USER_DN_TEMPLATE = ldap.userDnTemplate;
      }
      // optionalAttrs (ldap.groupSearchBase != null) {
        BITPOLL_LDAP_GROUP_SEARCH_BASE = ldap.groupSearchBase;
      }
      // optionalAttrs (ldap.requireGroup != null) { BITPOLL_LDAP_REQUIRE_GROUP = ldap.requireGroup; }
      // optionalAttrs (ldap.caFile != null) { BITPOLL_LDAP_CA_FILE = toString ldap.caFile; }
    )
    // optionalAttrs ((oidc.enable && oidc.ssoOnly) || (ldap.enable && ldap.ssoOnly)) {
      BITPOLL_SSO_ONLY = "true";
    };
  ssoCredentials =
    optional (
      oidc.enable && oidc.clientSecretFile != null
    ) "oidc_client_secret:${toString oidc.clientSecretFile}"
    ++ optional (
      ldap.enable && ldap.bindPasswordFile != null
    ) "ldap_bind_password:${toString ldap.bindPasswordFile}";

  # The host of a URL such as https://id.example.org:8443/realms/x or ldaps://[2001:db8::1].
  urlHost =
    url:
    let
      found = builtins.match "[a-z]+://(\\[[^]]*]|[^/:?#]*).*" (toString url);
    in
    if found == null then "" else builtins.head found;
  isIpLiteral = host: builtins.match "[0-9.]+" host != null || hasPrefix "[" host;
  # Each enabled provider the service talks to: its host and the addresses it may reach.
  ssoPeers =
    optional oidc.enable {
      host = urlHost oidc.issuer;
      addresses = oidc.allowedAddresses;
    }
    ++ optional ldap.enable {
      host = urlHost ldap.uri;
      addresses = ldap.allowedAddresses;
    };
  remotePeers = builtins.filter (peer: !isLoopback peer.host) ssoPeers;
  peerAddresses =
    peer:
    if peer.addresses != [ ] then
      peer.addresses
    else if isIpLiteral peer.host then
      [ (lib.removeSuffix "]" (removePrefix "[" peer.host)) ]
    else
      [ ];
  # A provider known by name only, with no addresses given, lifts the restriction (as a
  # remote database does); otherwise exactly its addresses are allowed besides loopback.
  remoteSsoByNameOnly = builtins.any (peer: peerAddresses peer == [ ]) remotePeers;
  ssoAllowedAddresses = lib.unique (lib.concatMap peerAddresses remotePeers);
  # --- end of single sign-on -------------------------------------------------------------

  # Nothing remote configured: the service may then talk to loopback only.
  # A socket handed over by bitpoll.socket is not affected by these rules, so
  # clients still reach the app on any listen address.
  remoteDatabase = db.type == "postgresql" && !(isSocketDir dbHost || isLoopback dbHost);
  remoteEmail = email.host != null && !isLoopback email.host;
  configuredElsewhere =
    cfg.environmentFile != null
    || builtins.elem "BITPOLL_DATABASE_URL" settingsNames
    || builtins.elem "BITPOLL_EMAIL_URL" settingsNames;
  loopbackOnly =
    !(remoteDatabase || remoteEmail || configuredElsewhere || remoteSsoByNameOnly);

  underVarLib = path: hasPrefix "/var/lib/" path && removePrefix "/var/lib/" path != "";
  backupOutsideData = !hasPrefix "${cfg.dataDir}/" "${cfg.backup.directory}/";
  defaultBackupDir = cfg.backup.directory == "${cfg.dataDir}/backups";
  backupDirArg = execArg (toString cfg.backup.directory);

  stateConfig =
    if underVarLib cfg.dataDir then
      {
        StateDirectory = removePrefix "/var/lib/" cfg.dataDir;
        StateDirectoryMode = "0700";
      }
    else
      { ReadWritePaths = [ cfg.dataDir ]; };

  serviceBase =
    hardening
    // stateConfig
    // {
      User = cfg.user;
      Group = cfg.group;
      WorkingDirectory = cfg.dataDir;
      LoadCredential = credentials;
      # The data directory is a mount of its own, which NoExecPaths=/ does not reach.
      NoExecPaths = hardening.NoExecPaths ++ [ cfg.dataDir ];
    }
    // optionalAttrs (cfg.environmentFile != null) {
      EnvironmentFile = toString cfg.environmentFile;
    }
    // optionalAttrs loopbackOnly {
      IPAddressDeny = "any";
      IPAddressAllow = concatStringsSep " " ([ "localhost" ] ++ ssoAllowedAddresses);
    };

  postgresqlLocal =
    db.type == "postgresql"
    && (db.createLocally || (isSocketDir dbHost && config.services.postgresql.enable));
  postgresqlUnits = {
    after = optionals postgresqlLocal [
      "postgresql.service"
      "postgresql.target"
    ];
    requires = optional postgresqlLocal "postgresql.service";
    # postgresql.target (NixOS 25.11 and later) is reached once the ensure*
    # databases and roles exist; Wants= is harmless where it does not exist.
    wants = optional postgresqlLocal "postgresql.target";
  };

  # systemd-run gives an admin command the service's user, environment and
  # credentials ($CREDENTIALS_DIRECTORY), which sudo could not.
  manageArgs = [
    "--wait"
    "--collect"
    "--quiet"
    "--service-type=exec"
    "--uid=${cfg.user}"
    "--gid=${cfg.group}"
    "--working-directory=${cfg.dataDir}"
    "--property=UMask=0077"
  ]
  ++ optional (underVarLib cfg.dataDir) "--property=StateDirectory=${stateConfig.StateDirectory}"
  ++ map (credential: "--property=LoadCredential=${credential}") credentials
  ++ optional (
    cfg.environmentFile != null
  ) "--property=EnvironmentFile=${toString cfg.environmentFile}"
  ++ mapAttrsToList (name: value: "--setenv=${name}=${value}") environment;

  manage = pkgs.writeShellScriptBin "bitpoll-manage" ''
    set -euo pipefail
    if [ "$(id -u)" -ne 0 ]; then
      echo "bitpoll-manage: run it as root; it runs bitpoll as ${cfg.user} with the service's environment and credentials" >&2
      exit 1
    fi
    io=--pipe
    if [ -t 0 ] && [ -t 1 ]; then io=--pty; fi
    exec ${config.systemd.package}/bin/systemd-run "$io" \
      ${concatMapStringsSep " \\\n  " escapeShellArg manageArgs} \
      -- ${bitpoll} "$@"
  '';

  secretOptions = [
    {
      name = "secretKeyFile";
      value = cfg.secretKeyFile;
    }
    {
      name = "database.passwordFile";
      value = db.passwordFile;
    }
    {
      name = "email.passwordFile";
      value = email.passwordFile;
    }
    {
      name = "environmentFile";
      value = cfg.environmentFile;
    }
    {
      name = "oidc.clientSecretFile";
      value = oidc.clientSecretFile;
    }
    {
      name = "ldap.bindPasswordFile";
      value = ldap.bindPasswordFile;
    }
  ];

  secretSettings = builtins.filter (
    name:
    builtins.elem name [
      "BITPOLL_SECRET_KEY"
      "BITPOLL_DATABASE_PASSWORD"
      "BITPOLL_EMAIL_PASSWORD"
      "BITPOLL_OIDC_CLIENT_SECRET"
      "BITPOLL_LDAP_BIND_PASSWORD"
    ]
  ) settingsNames;

  secretFileOption =
    what:
    mkOption {
      type = types.nullOr types.path;
      default = null;
      example = "/run/agenix/bitpoll-${what}";
      description = ''
        File holding the ${what}, outside the Nix store (for example managed by
        agenix or sops-nix). systemd reads it when the service starts and hands
        it over as a credential; it is never read during evaluation.
      '';
    };
in
{
  options.services.bitpoll = {
    enable = mkEnableOption "Bitpoll, a self-hosted poll and meeting scheduler";

    package = mkOption {
      type = types.package;
      # nixpkgs has no bitpoll: say how to get one, but only when it is used,
      # so that the module can be imported (and disabled) without it.
      default =
        pkgs.bitpoll or (throw ''
          services.bitpoll.package is not set, and this nixpkgs has no `bitpoll` package.
          Import the module from the Bitpoll flake (inputs.bitpoll.nixosModules.default), which
          sets it, or set it yourself:
            services.bitpoll.package = inputs.bitpoll.packages.''${pkgs.stdenv.hostPlatform.system}.default;
          or add the flake's overlay: nixpkgs.overlays = [ inputs.bitpoll.overlays.default ];
        '');
      defaultText = lib.literalMD "the flake's package with `nixosModules.default`, else `pkgs.bitpoll`";
      example = literalExpression "inputs.bitpoll.packages.\${pkgs.stdenv.hostPlatform.system}.default";
      description = ''
        The Bitpoll package to run. The flake's `nixosModules.default` sets it
        to the flake's own package; without the flake, nixpkgs must provide
        `pkgs.bitpoll` (for example through the flake's `overlays.default`).
      '';
    };

    listenAddress = mkOption {
      type = types.str;
      default = "127.0.0.1";
      example = "::";
      description = ''
        Address bitpoll.socket listens on. Keep the loopback default behind
        nginx; use `0.0.0.0` or `::` to serve other machines directly.
      '';
    };

    port = mkOption {
      type = types.port;
      default = 8000;
      example = 8080;
      description = "TCP port bitpoll.socket listens on.";
    };

    allowedHosts = mkOption {
      type = types.listOf types.str;
      default = optional (cfg.nginx.enable && cfg.nginx.hostName != null) cfg.nginx.hostName ++ [
        "localhost"
        "127.0.0.1"
        "[::1]"
      ];
      defaultText = literalExpression ''
        optional (nginx.enable && nginx.hostName != null) nginx.hostName
        ++ [ "localhost" "127.0.0.1" "[::1]" ]
      '';
      example = [ "polls.example.org" ];
      description = ''
        Host names the site answers to (Django's `ALLOWED_HOSTS`,
        `BITPOLL_ALLOWED_HOSTS`). A leading dot matches subdomains.
      '';
    };

    baseUrl = mkOption {
      type = types.str;
      default =
        let
          vhost = config.services.nginx.virtualHosts.${cfg.nginx.hostName} or { };
          tls = vhost.forceSSL or false || vhost.onlySSL or false;
        in
        if cfg.nginx.enable && cfg.nginx.hostName != null then
          "${if tls then "https" else "http"}://${cfg.nginx.hostName}"
        else
          "http://localhost:${toString cfg.port}";
      defaultText = literalExpression ''
        if nginx.enable then "https://''${nginx.hostName}" (http without forceSSL/onlySSL)
        else "http://localhost:''${toString port}"
      '';
      example = "https://polls.example.org";
      description = ''
        Public URL of the site (`BITPOLL_BASE_URL`): used in links in e-mails,
        as trusted CSRF origin, and to turn on secure cookies and HSTS when it
        starts with `https://`.
      '';
    };

    secretKeyFile = mkOption {
      type = types.nullOr types.path;
      default = null;
      example = "/run/agenix/bitpoll-secret-key";
      description = ''
        File holding Django's secret key, outside the Nix store (agenix,
        sops-nix, or a file only root can read). Passed to the service as the
        systemd credential `secret_key`, never read during evaluation. When
        null, Bitpoll generates a key once into `dataDir/secret_key`
        (mode 0600).
      '';
    };

    dataDir = mkOption {
      type = types.path;
      default = "/var/lib/bitpoll";
      example = "/srv/bitpoll";
      description = ''
        Directory for all state: the SQLite database, the generated secret
        key and backups. Below /var/lib it is the unit's StateDirectory
        (created with mode 0700); elsewhere it is created by tmpfiles.
      '';
    };

    maxBodySize = mkOption {
      type = types.ints.positive;
      default = defaultMaxBodySize;
      example = 4194304;
      description = ''
        Largest request body in bytes. nginx (with `nginx.enable`) refuses
        bigger ones with 413 (`client_max_body_size`) before they reach the
        app; the app has the same cap (`BITPOLL_MAX_BODY_SIZE`, set only when
        this differs from the app's default of 1 MiB).
      '';
    };

    workers = mkOption {
      type = types.ints.positive;
      default = 2;
      example = 4;
      description = "Number of gunicorn worker processes (`BITPOLL_WORKERS`).";
    };

    settings = mkOption {
      type = types.attrsOf (
        types.oneOf [
          types.str
          types.int
          types.bool
        ]
      );
      default = { };
      example = {
        LOG_FORMAT = "json";
        LOG_LEVEL = "warning";
      };
      description = ''
        Further settings as `BITPOLL_*` environment variables (see
        docs/configuration.md); the prefix may be left out. Booleans become
        `true`/`false`. Values here win over the typed options. They end up
        in the world-readable store, so secrets belong in the `*File`
        options instead.
      '';
    };

    environmentFile = mkOption {
      type = types.nullOr types.path;
      default = null;
      example = "/run/secrets/bitpoll.env";
      description = ''
        Optional file of `BITPOLL_*=value` lines, read by systemd when the
        service starts (EnvironmentFile=), for settings kept out of the store.
      '';
    };

    database = {
      type = mkOption {
        type = types.enum [
          "sqlite"
          "postgresql"
        ];
        default = "sqlite";
        example = "postgresql";
        description = "Database engine. SQLite lives in `dataDir` and needs no server.";
      };

      createLocally = mkOption {
        type = types.bool;
        default = false;
        example = true;
        description = ''
          Set up PostgreSQL on this machine with a database and a role for
          Bitpoll, reached over the unix socket with peer authentication
          (no password). Needs `type = "postgresql"`.
        '';
      };

      host = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "db.example.org";
        description = ''
          PostgreSQL host name, or a socket directory starting with `/`.
          Null means the local socket directory /run/postgresql.
        '';
      };

      port = mkOption {
        type = types.port;
        default = 5432;
        example = 5433;
        description = "PostgreSQL port, used when `host` is a host name.";
      };

      name = mkOption {
        type = types.str;
        default = "bitpoll";
        example = "polls";
        description = "Database name.";
      };

      user = mkOption {
        type = types.str;
        default = cfg.user;
        defaultText = literalExpression "config.services.bitpoll.user";
        example = "polls";
        description = "Database role.";
      };

      passwordFile = secretFileOption "database password";

      preparedStatements = mkOption {
        type = types.bool;
        default = true;
        example = false;
        description = ''
          Prepare the few PostgreSQL statements that every cached page and
          every answer run, once per connection. Turn off behind a connection
          pooler in transaction mode that cannot keep prepared statements
          (PgBouncer before 1.21, or without `max_prepared_statements`).
        '';
      };

      tls = {
        enable = mkOption {
          type = types.bool;
          default = false;
          example = true;
          description = ''
            Connect to a remote PostgreSQL over TLS and verify its certificate
            (`sslmode=verify-full`): signed by `caFile` and issued for `host`.
          '';
        };

        caFile = mkOption {
          type = types.nullOr types.path;
          default = null;
          example = "/etc/ssl/bitpoll-db-ca.pem";
          description = ''
            PEM file of the CA that signed the database server's certificate.
            systemd hands it to the service as the credential `database_ca`
            (BITPOLL_DATABASE_CA_FILE for the app), so the sandbox needs no
            access to its directory.
          '';
        };
      };
    };

    snapshots.keep = mkOption {
      type = types.ints.between 0 1000;
      default = 3;
      example = 5;
      description = ''
        Snapshots that `bitpoll migrate` writes into `dataDir/backups` before
        it applies pending migrations (every upgrade); the newest this many are
        kept, 0 takes none. After `nixos-rebuild switch --rollback` the older
        version refuses the newer schema and names the snapshot that
        `bitpoll-manage restore --before-upgrade` restores.
      '';
    };

    allowNewerSchema = mkOption {
      type = types.bool;
      default = false;
      example = true;
      description = ''
        Serve a database that a newer Bitpoll has migrated, after a rollback.
        Only safe when those newer migrations only added tables or columns.
      '';
    };

    email = {
      host = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "smtp.example.org";
        description = ''
          SMTP server. Null: no mail; the pages that would send some say so.
        '';
      };

      port = mkOption {
        type = types.port;
        default = 587;
        example = 465;
        description = "SMTP port.";
      };

      security = mkOption {
        type = types.enum [
          "starttls"
          "tls"
          "none"
        ];
        default = "starttls";
        example = "tls";
        description = ''
          `starttls` (usually port 587), `tls` (implicit TLS, usually 465) or
          `none` (a relay on the same host or network, port 25).
        '';
      };

      user = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "polls@example.org";
        description = "SMTP user name, if the server wants a login.";
      };

      passwordFile = secretFileOption "SMTP password";

      from = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "Bitpoll <polls@example.org>";
        description = "Sender address of mails (`BITPOLL_EMAIL_FROM`).";
      };
    };

    # --- Mail: the sender of the outbox and the retention of old polls ---
    mail.sender.enable = mkOption {
      type = types.bool;
      default = email.host != null;
      defaultText = literalExpression "config.services.bitpoll.email.host != null";
      example = false;
      description = ''
        Run `bitpoll send-mail --loop` as `bitpoll-mail.service`: it delivers
        the outbox (with retries and rate limits) and does the polls' chores
        (watch digests, deadline reminders, closing at the deadline). Turn it
        off on all but one host only if you want fewer senders; several
        hosts on one database may all run it.
      '';
    };

    retention = {
      days = mkOption {
        type = types.ints.between 0 36500;
        default = 0;
        example = 365;
        description = ''
          Delete polls this many days after their last activity, with their
          answers and e-mail addresses (`BITPOLL_POLL_RETENTION_DAYS`; 0 keeps
          them forever). `bitpoll-purge.timer` runs `bitpoll purge`.
        '';
      };

      startAt = mkOption {
        type = types.str;
        default = "daily";
        example = "*-*-* 04:00:00";
        description = "When to purge expired polls, as a systemd calendar expression.";
      };
    };

    nginx = {
      enable = mkOption {
        type = types.bool;
        default = false;
        example = true;
        description = ''
          Put nginx in front: a virtual host `hostName` proxying to the app,
          serving static files straight from the package with long-lived
          caching. Add TLS through `services.nginx.virtualHosts.<hostName>`
          (`enableACME`, `forceSSL`).
        '';
      };

      hostName = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "polls.example.org";
        description = "Name of the nginx virtual host; required with `nginx.enable`.";
      };
    };

    backup = {
      enable = mkOption {
        type = types.bool;
        default = false;
        example = true;
        description = "Write a backup archive regularly with `bitpoll backup`.";
      };

      startAt = mkOption {
        type = types.str;
        default = "daily";
        example = "*-*-* 03:30:00";
        description = "When to back up, as a systemd calendar expression (OnCalendar=).";
      };

      directory = mkOption {
        type = types.path;
        default = "${cfg.dataDir}/backups";
        defaultText = literalExpression ''"''${config.services.bitpoll.dataDir}/backups"'';
        example = "/var/backup/bitpoll";
        description = "Where the archives go.";
      };

      keep = mkOption {
        type = types.ints.positive;
        default = 14;
        example = 30;
        description = "How many archives to keep; older ones are removed after a successful backup.";
      };
    };

    accounts = {
      enable = mkOption {
        type = types.bool;
        default = false;
        example = true;
        description = ''
          User accounts and groups (`BITPOLL_ACCOUNTS_ENABLED`): logging in,
          "my polls", polls owned by people and groups, polls only for
          logged-in or invited people. Anonymous polls work as before.
        '';
      };

      registration = mkOption {
        type = types.enum [
          "open"
          "closed"
        ];
        default = "open";
        example = "closed";
        description = ''
          `open`: anyone may register, verified by a mailed link (configure
          `email`). `closed`: accounts are made in the Django admin or come
          from single sign-on (`BITPOLL_ACCOUNTS_REGISTRATION`).
        '';
      };
    };

    # --- Single sign-on (docs/accounts.md) ------------------------------------------------
    oidc = {
      enable = mkEnableOption "logins through an OpenID Connect provider (Keycloak, Authentik, Kanidm, Dex, ...)";

      issuer = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "https://id.example.org/realms/example";
        description = ''
          The provider's issuer URL (`BITPOLL_OIDC_ISSUER`): its discovery document is
          `<issuer>/.well-known/openid-configuration`. Register
          `<baseUrl>/accounts/oidc/callback/` as the client's redirect URI.
        '';
      };

      clientId = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "bitpoll";
        description = "Client id registered at the provider (`BITPOLL_OIDC_CLIENT_ID`).";
      };

      clientSecretFile = secretFileOption "OpenID Connect client secret" // {
        description = ''
          File holding the client secret, outside the Nix store; handed over as the credential
          `oidc_client_secret`. Null for a public client (PKCE only).
        '';
      };

      scopes = mkOption {
        type = types.listOf types.str;
        default = [
          "openid"
          "email"
          "profile"
        ];
        example = [
          "openid"
          "email"
          "profile"
          "groups"
        ];
        description = "Scopes requested (`BITPOLL_OIDC_SCOPES`); must include `openid`.";
      };

      groupsClaim = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "groups";
        description = ''
          Claim listing the user's groups (`BITPOLL_OIDC_GROUPS_CLAIM`), mirrored into
          read-only Bitpoll groups at each login. Null: groups are not taken from the provider.
        '';
      };

      usernameClaim = mkOption {
        type = types.str;
        default = "preferred_username";
        example = "email";
        description = "Claim proposing the user name of a new account (`BITPOLL_OIDC_USERNAME_CLAIM`).";
      };

      displayName = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "Example ID";
        description = "Provider name on the login button (`BITPOLL_OIDC_NAME`): \"Log in with Example ID\".";
      };

      ssoOnly = mkOption {
        type = types.bool;
        default = false;
        example = true;
        description = ''
          Hide registration and password login (`BITPOLL_SSO_ONLY`); staff can still log in
          with a local password at /admin/ when the provider is down.
        '';
      };

      allowedAddresses = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [ "192.0.2.10" ];
        description = ''
          IP addresses or prefixes of the provider (discovery, token and key endpoints). The
          service may otherwise reach only loopback; with a provider known by name and this list
          empty, the address restriction is lifted, as for a remote database.
        '';
      };
    };

    ldap = {
      enable = mkEnableOption "logins with the user name and password of an LDAP directory";

      uri = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "ldaps://ldap.example.org";
        description = "Directory server (`BITPOLL_LDAP_URI`), `ldap://` or `ldaps://`.";
      };

      startTls = mkOption {
        type = types.bool;
        default = false;
        example = true;
        description = "Upgrade an `ldap://` connection with StartTLS (`BITPOLL_LDAP_START_TLS`).";
      };

      caFile = mkOption {
        type = types.nullOr types.path;
        default = null;
        example = "/etc/ssl/certs/example-ca.pem";
        description = "CA certificate(s) to verify the server with (`BITPOLL_LDAP_CA_FILE`); null: the system's.";
      };

      bindDn = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "cn=bitpoll,ou=services,dc=example,dc=org";
        description = ''
          Service account that searches for users (`BITPOLL_LDAP_BIND_DN`). Null: users bind
          with their own DN (userDnTemplate) and read their own entry.
        '';
      };

      bindPasswordFile = secretFileOption "LDAP bind password" // {
        description = ''
          File holding bindDn's password, outside the Nix store; handed over as the credential
          `ldap_bind_password`.
        '';
      };

      userSearchBase = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "ou=people,dc=example,dc=org";
        description = "Where users are searched (`BITPOLL_LDAP_USER_SEARCH_BASE`); or set userDnTemplate.";
      };

      userFilter = mkOption {
        type = types.str;
        default = "(uid=%(user)s)";
        example = "(&(uid=%(user)s)(objectClass=inetOrgPerson))";
        description = "Search filter for the user name typed (`BITPOLL_LDAP_USER_FILTER`).";
      };

      userDnTemplate = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "uid=%(user)s,ou=people,dc=example,dc=org";
        description = "Bind directly as this DN instead of searching (`BITPOLL_LDAP_USER_DN_TEMPLATE`).";
      };

      groupSearchBase = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "ou=groups,dc=example,dc=org";
        description = ''
          Where groups are searched (`BITPOLL_LDAP_GROUP_SEARCH_BASE`); the user's groups are
          mirrored into read-only Bitpoll groups at each login. Null: no groups.
        '';
      };

      groupFilter = mkOption {
        type = types.str;
        default = "(objectClass=groupOfNames)";
        example = "(objectClass=posixGroup)";
        description = "Filter for group entries (`BITPOLL_LDAP_GROUP_FILTER`).";
      };

      groupType = mkOption {
        type = types.enum [
          "groupofnames"
          "groupofuniquenames"
          "posixgroup"
        ];
        default = "groupofnames";
        example = "posixgroup";
        description = "How groups list their members (`BITPOLL_LDAP_GROUP_TYPE`).";
      };

      requireGroup = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "cn=bitpoll-users,ou=groups,dc=example,dc=org";
        description = "Only members of this group may log in (`BITPOLL_LDAP_REQUIRE_GROUP`).";
      };

      nameAttribute = mkOption {
        type = types.str;
        default = "cn";
        example = "displayName";
        description = "Attribute shown as the user's name (`BITPOLL_LDAP_ATTR_NAME`).";
      };

      emailAttribute = mkOption {
        type = types.str;
        default = "mail";
        example = "mail";
        description = "Attribute holding the e-mail address (`BITPOLL_LDAP_ATTR_EMAIL`).";
      };

      ssoOnly = mkOption {
        type = types.bool;
        default = false;
        example = true;
        description = "As oidc.ssoOnly: only directory (and OIDC) accounts log in (`BITPOLL_SSO_ONLY`).";
      };

      allowedAddresses = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [ "192.0.2.20" ];
        description = "As oidc.allowedAddresses, for the directory server.";
      };
    };
    # --- end of single sign-on options -------------------------------------------------

    openFirewall = mkOption {
      type = types.bool;
      default = false;
      example = true;
      description = ''
        Open the firewall: ports 80 and 443 with `nginx.enable`, else `port`.
      '';
    };

    user = mkOption {
      type = types.str;
      default = "bitpoll";
      example = "polls";
      description = "System user the service runs as (created by the module).";
    };

    group = mkOption {
      type = types.str;
      default = "bitpoll";
      example = "polls";
      description = "Group of the service user (created by the module).";
    };
  };

  config = mkIf cfg.enable (mkMerge [
    {
      assertions =
        [
          {
            assertion = cfg.allowedHosts != [ ];
            message = ''
              services.bitpoll.allowedHosts is empty, so Bitpoll would reject every request.
              List the names people use to reach it, e.g. allowedHosts = [ "polls.example.org" ];
            '';
          }
          {
            assertion = cfg.nginx.enable -> cfg.nginx.hostName != null;
            message = ''
              services.bitpoll.nginx.enable needs a virtual host name:
              set services.bitpoll.nginx.hostName = "polls.example.org";
            '';
          }
          {
            assertion = db.createLocally -> db.type == "postgresql";
            message = ''
              services.bitpoll.database.createLocally sets up PostgreSQL, but database.type is "${db.type}".
              Set database.type = "postgresql", or drop createLocally (SQLite needs no server).
            '';
          }
          {
            assertion = db.createLocally -> (db.host == null || db.host == "/run/postgresql");
            message = ''
              services.bitpoll.database.createLocally creates the database on this machine and connects
              over /run/postgresql, but database.host = "${toString db.host}" points elsewhere.
              Remove database.host to use the local server, or set createLocally = false to use that host.
            '';
          }
          {
            assertion = db.createLocally -> db.user == cfg.user;
            message = ''
              services.bitpoll.database.createLocally uses peer authentication, which needs the database
              role to match the service user: set database.user = "${cfg.user}" (or leave it unset).
            '';
          }
          {
            assertion = db.createLocally -> db.name == db.user;
            message = ''
              services.bitpoll.database.createLocally makes the role own a database of the same name:
              set database.name = "${db.user}".
            '';
          }
          {
            assertion = db.tls.enable -> (db.type == "postgresql" && !isSocketDir dbHost);
            message = ''
              services.bitpoll.database.tls.enable needs a remote PostgreSQL: set database.type =
              "postgresql" and database.host to the server's host name (a unix socket has no TLS).
            '';
          }
          {
            assertion = db.tls.enable -> db.tls.caFile != null;
            message = ''
              services.bitpoll.database.tls.enable verifies the server's certificate: set
              database.tls.caFile to the PEM file of the CA that signed it.
            '';
          }
          {
            assertion = db.createLocally -> db.passwordFile == null;
            message = ''
              services.bitpoll.database.createLocally connects with peer authentication, without a
              password: remove database.passwordFile.
            '';
          }
          {
            assertion = email.user == null || !urlUnsafe email.user;
            message = ''
              services.bitpoll.email.user = "${toString email.user}" contains one of : / ? # %, which
              cannot be written into BITPOLL_EMAIL_URL here. Set BITPOLL_EMAIL_URL with the login
              percent-encoded in services.bitpoll.environmentFile instead, and leave email.user unset.
            '';
          }
          {
            assertion = email.passwordFile != null -> email.user != null;
            message = ''
              services.bitpoll.email.passwordFile is set but email.user is not; set the SMTP login name
              in email.user.
            '';
          }
          # --- single sign-on ---
          {
            assertion = oidc.enable -> (oidc.issuer != null && oidc.clientId != null);
            message = ''
              services.bitpoll.oidc.enable needs the provider: set oidc.issuer (e.g.
              "https://id.example.org/realms/example") and oidc.clientId.
            '';
          }
          {
            assertion = ldap.enable -> ldap.uri != null;
            message = ''
              services.bitpoll.ldap.enable needs the directory server: set ldap.uri = "ldaps://ldap.example.org";
            '';
          }
          {
            assertion = ldap.enable -> ((ldap.userSearchBase == null) != (ldap.userDnTemplate == null));
            message = ''
              services.bitpoll.ldap needs exactly one way to find users: ldap.userSearchBase (bind and
              search) or ldap.userDnTemplate (direct bind), not both and not neither.
            '';
          }
          {
            assertion = ldap.bindPasswordFile != null -> ldap.bindDn != null;
            message = ''
              services.bitpoll.ldap.bindPasswordFile is set but ldap.bindDn is not; set the service
              account's DN in ldap.bindDn.
            '';
          }
          {
            assertion = secretSettings == [ ];
            message = ''
              services.bitpoll.settings contains ${concatStringsSep ", " secretSettings}, which would be
              stored world-readable in the Nix store. Use secretKeyFile, database.passwordFile or
              email.passwordFile instead.
            '';
          }
        ]
        ++ map (secret: {
          assertion = secret.value == null || !isInStore secret.value;
          message = ''
            services.bitpoll.${secret.name} = "${toString secret.value}" is inside the Nix store, which
            every user can read. Keep the file outside the store, e.g. with agenix
            (config.age.secrets.<name>.path) or sops-nix (config.sops.secrets.<name>.path), and give
            its path as a string.
          '';
        }) secretOptions;

      warnings =
        optional (cfg.openFirewall && !cfg.nginx.enable && isLoopback cfg.listenAddress) ''
          services.bitpoll.openFirewall opens port ${toString cfg.port}, but Bitpoll listens on
          ${cfg.listenAddress} only; set listenAddress = "0.0.0.0" (or "::"), or enable nginx.
        ''
        ++ optional (db.type == "sqlite" && (db.host != null || db.passwordFile != null)) ''
          services.bitpoll.database.host and passwordFile are ignored with database.type = "sqlite".
        '';

      users.users.${cfg.user} = {
        isSystemUser = true;
        group = cfg.group;
        home = cfg.dataDir;
        description = "Bitpoll service user";
      };
      users.groups.${cfg.group} = { };

      environment.systemPackages = [ manage ];

      systemd.tmpfiles.rules =
        optional (!underVarLib cfg.dataDir) "d ${cfg.dataDir} 0700 ${cfg.user} ${cfg.group} - -"
        ++ optional (
          cfg.backup.enable && backupOutsideData
        ) "d ${cfg.backup.directory} 0700 ${cfg.user} ${cfg.group} - -";

      systemd.sockets.bitpoll = {
        description = "Bitpoll listening socket";
        wantedBy = [ "sockets.target" ];
        listenStreams = [ listen ];
        socketConfig = {
          # Connections queue here while the service restarts or upgrades.
          Backlog = 1024;
          NoDelay = true;
          FreeBind = true;
        };
      };

      systemd.services.bitpoll = {
        description = "Bitpoll polls and meeting scheduler";
        wantedBy = [ "multi-user.target" ];
        after = [
          "network.target"
          "bitpoll.socket"
        ]
        ++ postgresqlUnits.after;
        requires = [ "bitpoll.socket" ] ++ postgresqlUnits.requires;
        wants = postgresqlUnits.wants;
        environment = unitEnvironment;
        # On `nixos-rebuild switch`, restart the changed service in place
        # (after the new configuration is active) instead of stopping it
        # and its socket first: bitpoll.socket keeps listening and queues
        # connections while the new version migrates and starts. See
        # docs/nixos.md, "What nixos-rebuild switch does".
        stopIfChanged = false;
        unitConfig = {
          StartLimitIntervalSec = 300;
          StartLimitBurst = 5;
        };
        serviceConfig = serviceBase // {
          Type = "notify";
          NotifyAccess = "main";
          # Migrations first; a large upgrade may take minutes, and the
          # socket queues requests meanwhile.
          ExecStartPre = "${bitpoll} migrate --noinput";
          ExecStart = "${bitpoll} serve --no-migrate";
          ExecReload = "${pkgs.coreutils}/bin/kill -HUP $MAINPID";
          # SIGTERM to gunicorn's arbiter only, so it lets workers finish
          # their requests; whatever is left gets SIGKILL at the timeout.
          KillMode = "mixed";
          TimeoutStartSec = "15min";
          Restart = "on-failure";
          RestartSec = "5s";
        };
      };
    }

    (mkIf cfg.backup.enable {
      systemd.services.bitpoll-backup = {
        description = "Bitpoll backup";
        after = [ "bitpoll.service" ] ++ postgresqlUnits.after;
        requires = postgresqlUnits.requires;
        wants = postgresqlUnits.wants;
        environment = unitEnvironment;
        # A switch must not kill a running backup (or start an extra one);
        # the next run uses the new definition.
        restartIfChanged = false;
        serviceConfig =
          serviceBase
          // optionalAttrs backupOutsideData {
            ReadWritePaths = (serviceBase.ReadWritePaths or [ ]) ++ [ cfg.backup.directory ];
            NoExecPaths = serviceBase.NoExecPaths ++ [ cfg.backup.directory ];
          }
          // {
            Type = "oneshot";
            ExecStart =
              "${bitpoll} backup --keep ${toString cfg.backup.keep}"
              + optionalString (!defaultBackupDir) " --output ${backupDirArg}";
            Nice = 10;
            IOSchedulingClass = "idle";
          };
      };

      systemd.timers.bitpoll-backup = {
        description = "Regular Bitpoll backup";
        wantedBy = [ "timers.target" ];
        timerConfig = {
          OnCalendar = cfg.backup.startAt;
          Persistent = true;
          RandomizedDelaySec = "15min";
        };
      };
    })

    # --- Mail: sender service, purge timer ---
    (mkIf cfg.mail.sender.enable {
      systemd.services.bitpoll-mail = {
        description = "Bitpoll mail sender";
        wantedBy = [ "multi-user.target" ];
        # After bitpoll.service, whose start applies the migrations.
        after = [
          "network.target"
          "bitpoll.service"
        ]
        ++ postgresqlUnits.after;
        requires = postgresqlUnits.requires;
        wants = postgresqlUnits.wants;
        environment = unitEnvironment;
        serviceConfig = serviceBase // {
          Type = "exec";
          ExecStart = "${bitpoll} send-mail --loop";
          # SIGTERM: the mail in hand is finished, then it exits.
          TimeoutStopSec = "60s";
          Restart = "on-failure";
          RestartSec = "10s";
        };
      };
    })

    (mkIf (cfg.retention.days > 0) {
      systemd.services.bitpoll-purge = {
        description = "Delete expired Bitpoll polls";
        after = [ "bitpoll.service" ] ++ postgresqlUnits.after;
        requires = postgresqlUnits.requires;
        wants = postgresqlUnits.wants;
        environment = unitEnvironment;
        restartIfChanged = false;
        serviceConfig = serviceBase // {
          Type = "oneshot";
          ExecStart = "${bitpoll} purge";
          Nice = 10;
        };
      };

      systemd.timers.bitpoll-purge = {
        description = "Regular deletion of expired Bitpoll polls";
        wantedBy = [ "timers.target" ];
        timerConfig = {
          OnCalendar = cfg.retention.startAt;
          Persistent = true;
          RandomizedDelaySec = "15min";
        };
      };
    })

    (mkIf db.createLocally {
      services.postgresql = {
        enable = true;
        ensureDatabases = [ db.name ];
        ensureUsers = [
          {
            name = db.user;
            ensureDBOwnership = true;
          }
        ];
      };
    })

    # Without a host name the assertion above explains what to set.
    (mkIf (cfg.nginx.enable && cfg.nginx.hostName != null) {
      services.nginx = {
        enable = true;
        virtualHosts.${cfg.nginx.hostName} = {
          # The app's cap, enforced before the body is read (nginx's own
          # default is 10m).
          extraConfig = ''
            client_max_body_size ${toString cfg.maxBodySize};
          '';
          locations."/" = {
            proxyPass = "http://${upstream}";
            recommendedProxySettings = true;
          };
          # Static files straight from the store. Names with a content hash
          # (Django's manifest storage) never change, so browsers may keep
          # them forever; the unhashed originals get an hour.
          locations."/static/" = {
            root = staticParent;
            extraConfig = ''
              gzip_static on;
              add_header Cache-Control "public, max-age=3600" always;
              add_header X-Content-Type-Options nosniff always;
              add_header Referrer-Policy same-origin always;
              add_header X-Frame-Options DENY always;
              add_header Content-Security-Policy "default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self'" always;
              location ~ "\.[0-9a-f]{12}\.[A-Za-z0-9]+$" {
                add_header Cache-Control "public, max-age=31536000, immutable" always;
                add_header X-Content-Type-Options nosniff always;
                add_header Referrer-Policy same-origin always;
                add_header X-Frame-Options DENY always;
                add_header Content-Security-Policy "default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self'" always;
              }
            '';
          };
        };
      };
    })

    (mkIf cfg.openFirewall {
      networking.firewall.allowedTCPPorts =
        if cfg.nginx.enable then
          [
            80
            443
          ]
        else
          [ cfg.port ];
    })
  ]);
}
