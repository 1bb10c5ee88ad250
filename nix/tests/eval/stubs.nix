# Declarations of the NixOS options that nix/module.nix sets, typed like the
# real ones in nixpkgs (nixos/lib/systemd-unit-options.nix and
# systemd-lib.nix, nixos/modules/config/users-groups.nix, the nginx and
# postgresql modules, environment.systemPackages, networking.firewall), so
# that the real module system (lib.evalModules) refuses here what NixOS
# would refuse: an unknown option, a unit name that is not one, a string
# where a list is required, a list mixed with a single value in a unit
# section, a `Type=` systemd does not know, a newline in a description, a `:`
# in a passwd field. A few NixOS assertions about what the module defines
# (users, ensureDBOwnership) are repeated here for the same reason.
#
# Only what the module touches (plus the switch-to-configuration flags that
# nix/tests/eval/switch.nix reads) is declared; anything else the module set
# would fail as "option does not exist", as it should.
{
  config,
  lib,
  pkgs,
  ...
}:

let
  inherit (lib) mkOption types;

  # systemd-lib.nix: names of units in wantedBy, after, requires, ...
  unitName = types.strMatching "[a-zA-Z0-9@%:_.\\-]+[.](service|socket|device|mount|automount|swap|target|path|timer|scope|slice)";
  unitNames = mkOption {
    type = types.listOf unitName;
    default = [ ];
  };

  # systemd-unit-options.nix `unitOption`: repeated directives are lists and
  # concatenate; a single value must be defined once (or identically); a
  # mix of the two is an error. Values must be what the unit generator can
  # write (it calls toString on them).
  atom = types.oneOf [
    types.bool
    types.int
    types.str
    types.path
    types.package
  ];
  unitOption = lib.mkOptionType {
    name = "systemd option";
    check = value: atom.check value || (builtins.isList value && builtins.all atom.check value);
    merge =
      loc: defs:
      let
        defs' = lib.filterOverrides defs;
        lists = builtins.filter (def: builtins.isList def.value) defs';
      in
      if lists == [ ] then
        lib.mergeEqualOption loc defs'
      else if builtins.length lists == builtins.length defs' then
        lib.concatMap (def: def.value) defs'
      else
        throw "The definitions of ${lib.showOption loc} mix lists and single values: ${lib.options.showDefs defs'}";
  };
  section = mkOption {
    type = types.attrsOf unitOption;
    default = { };
  };

  # systemd-unit-options.nix checks these two values of [Service].
  oneOfOrUnset =
    name: values: attrs:
    !(attrs ? ${name}) || builtins.elem attrs.${name} values;
  serviceSection = mkOption {
    type = types.addCheck (types.attrsOf unitOption) (
      attrs:
      oneOfOrUnset "Type" [
        "exec"
        "simple"
        "forking"
        "oneshot"
        "dbus"
        "notify"
        "notify-reload"
        "idle"
      ] attrs
      && oneOfOrUnset "Restart" [
        "no"
        "on-success"
        "on-failure"
        "on-abnormal"
        "on-abort"
        "on-watchdog"
        "always"
      ] attrs
    );
    default = { };
  };

  bool = default: mkOption {
    type = types.bool;
    inherit default;
  };

  commonUnit = {
    enable = bool true;
    description = mkOption {
      type = types.singleLineStr;
      default = "";
    };
    documentation = mkOption {
      type = types.listOf types.str;
      default = [ ];
    };
    wantedBy = unitNames;
    requiredBy = unitNames;
    after = unitNames;
    before = unitNames;
    requires = unitNames;
    wants = unitNames;
    bindsTo = unitNames;
    partOf = unitNames;
    conflicts = unitNames;
    unitConfig = section;
    restartTriggers = mkOption {
      type = types.listOf types.unspecified;
      default = [ ];
    };
  };

  service = types.submodule {
    options = commonUnit // {
      environment = mkOption {
        type = types.attrsOf (
          types.nullOr (
            types.oneOf [
              types.str
              types.path
              types.package
            ]
          )
        );
        default = { };
      };
      path = mkOption {
        type = types.listOf (types.either types.package types.str);
        default = [ ];
      };
      serviceConfig = serviceSection;
      # What switch-to-configuration reads (X-RestartIfChanged,
      # X-ReloadIfChanged and X-StopIfChanged in [Service]).
      restartIfChanged = bool true;
      reloadIfChanged = bool false;
      stopIfChanged = bool true;
    };
  };

  socket = types.submodule {
    options = commonUnit // {
      listenStreams = mkOption {
        type = types.listOf types.str;
        default = [ ];
      };
      listenDatagrams = mkOption {
        type = types.listOf types.str;
        default = [ ];
      };
      socketConfig = section;
    };
  };

  timer = types.submodule {
    options = commonUnit // {
      timerConfig = section;
    };
  };

  # nginx's location-options.nix and vhost-options.nix, the parts we use.
  location = types.submodule {
    options = {
      proxyPass = mkOption {
        type = types.nullOr types.str;
        default = null;
      };
      proxyWebsockets = bool false;
      root = mkOption {
        type = types.nullOr types.path;
        default = null;
      };
      alias = mkOption {
        type = types.nullOr types.path;
        default = null;
      };
      tryFiles = mkOption {
        type = types.nullOr types.str;
        default = null;
      };
      recommendedProxySettings = bool config.services.nginx.recommendedProxySettings;
      extraConfig = mkOption {
        type = types.lines;
        default = "";
      };
      priority = mkOption {
        type = types.int;
        default = 1000;
      };
    };
  };

  virtualHost = types.submodule {
    options = {
      serverName = mkOption {
        type = types.nullOr types.str;
        default = null;
      };
      serverAliases = mkOption {
        type = types.listOf types.str;
        default = [ ];
      };
      forceSSL = bool false;
      onlySSL = bool false;
      addSSL = bool false;
      enableACME = bool false;
      useACMEHost = mkOption {
        type = types.nullOr types.str;
        default = null;
      };
      root = mkOption {
        type = types.nullOr types.path;
        default = null;
      };
      locations = mkOption {
        type = types.attrsOf location;
        default = { };
      };
      extraConfig = mkOption {
        type = types.lines;
        default = "";
      };
    };
  };

  # users-groups.nix: passwd fields cannot hold ':' or a newline.
  user = types.submodule (
    { name, ... }:
    {
      options = {
        name = mkOption {
          type = types.passwdEntry types.str;
          default = name;
        };
        isSystemUser = bool false;
        isNormalUser = bool false;
        uid = mkOption {
          type = types.nullOr types.int;
          default = null;
        };
        group = mkOption {
          type = types.str;
          default = "";
        };
        extraGroups = mkOption {
          type = types.listOf types.str;
          default = [ ];
        };
        home = mkOption {
          type = types.passwdEntry types.path;
          default = "/var/empty";
        };
        createHome = bool false;
        description = mkOption {
          type = types.passwdEntry types.str;
          default = "";
        };
      };
    }
  );

  group = types.submodule (
    { name, ... }:
    {
      options = {
        name = mkOption {
          type = types.passwdEntry types.str;
          default = name;
        };
        gid = mkOption {
          type = types.nullOr types.int;
          default = null;
        };
        members = mkOption {
          type = types.listOf (types.passwdEntry types.str);
          default = [ ];
        };
      };
    }
  );
in
{
  options = {
    assertions = mkOption {
      type = types.listOf types.unspecified;
      default = [ ];
    };
    warnings = mkOption {
      type = types.listOf types.str;
      default = [ ];
    };

    environment.systemPackages = mkOption {
      type = types.listOf types.package;
      default = [ ];
    };

    systemd.package = mkOption {
      type = types.package;
      default = pkgs.systemd;
    };
    systemd.services = mkOption {
      type = types.attrsOf service;
      default = { };
    };
    systemd.sockets = mkOption {
      type = types.attrsOf socket;
      default = { };
    };
    systemd.timers = mkOption {
      type = types.attrsOf timer;
      default = { };
    };
    systemd.tmpfiles.rules = mkOption {
      type = types.listOf types.str;
      default = [ ];
    };

    users.users = mkOption {
      type = types.attrsOf user;
      default = { };
    };
    users.groups = mkOption {
      type = types.attrsOf group;
      default = { };
    };

    services.postgresql = {
      enable = bool false;
      ensureDatabases = mkOption {
        type = types.listOf types.str;
        default = [ ];
      };
      ensureUsers = mkOption {
        type = types.listOf (
          types.submodule {
            options = {
              name = mkOption { type = types.str; };
              ensureDBOwnership = bool false;
            };
          }
        );
        default = [ ];
      };
    };

    services.nginx = {
      enable = bool false;
      recommendedProxySettings = bool false;
      clientMaxBodySize = mkOption {
        type = types.str;
        default = "10m";
      };
      virtualHosts = mkOption {
        type = types.attrsOf virtualHost;
        default = { };
      };
    };

    networking.firewall.allowedTCPPorts = mkOption {
      type = types.listOf types.port;
      default = [ ];
    };
  };

  # NixOS asserts these about every user and every ensured role; the wording
  # here is ours.
  config.assertions =
    lib.concatMap (u: [
      {
        assertion = u.isSystemUser != u.isNormalUser;
        message = "users.users.${u.name}: set exactly one of isSystemUser and isNormalUser.";
      }
      {
        assertion = u.group != "";
        message = "users.users.${u.name}.group is unset.";
      }
    ]) (builtins.attrValues config.users.users)
    ++ map (role: {
      assertion =
        !role.ensureDBOwnership || builtins.elem role.name config.services.postgresql.ensureDatabases;
      message = "services.postgresql.ensureUsers.${role.name}.ensureDBOwnership needs a database of that name in ensureDatabases.";
    }) config.services.postgresql.ensureUsers;
}
