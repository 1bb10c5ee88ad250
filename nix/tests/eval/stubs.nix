# Declarations of the NixOS options that nix/module.nix sets, with the types
# NixOS gives them, so that the real module system (lib.evalModules) can
# evaluate the module without NixOS. Only what the module touches is
# declared: a typo or a wrongly typed definition in the module fails here as
# it would on NixOS.
{ lib, ... }:

let
  inherit (lib) mkOption types;

  # Like NixOS's unit option type: lists from several definitions are
  # concatenated, anything else must be defined once or identically.
  unitValue = types.oneOf [
    types.bool
    types.int
    types.str
    types.path
  ];
  unitOption = lib.mkOptionType {
    name = "systemd option";
    check =
      value: unitValue.check value || (builtins.isList value && builtins.all unitValue.check value);
    merge =
      loc: defs:
      if builtins.any (def: builtins.isList def.value) defs then
        lib.concatMap (def: lib.toList def.value) defs
      else
        lib.mergeEqualOption loc defs;
  };

  strList = mkOption {
    type = types.listOf types.str;
    default = [ ];
  };
  section = mkOption {
    type = types.attrsOf unitOption;
    default = { };
  };
  description = mkOption {
    type = types.str;
    default = "";
  };

  service = types.submodule {
    options = {
      inherit description;
      wantedBy = strList;
      requiredBy = strList;
      after = strList;
      before = strList;
      requires = strList;
      wants = strList;
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
      serviceConfig = section;
      unitConfig = section;
    };
  };

  socket = types.submodule {
    options = {
      inherit description;
      wantedBy = strList;
      listenStreams = strList;
      socketConfig = section;
      unitConfig = section;
    };
  };

  timer = types.submodule {
    options = {
      inherit description;
      wantedBy = strList;
      timerConfig = section;
      unitConfig = section;
    };
  };

  location = types.submodule {
    options = {
      proxyPass = mkOption {
        type = types.nullOr types.str;
        default = null;
      };
      root = mkOption {
        type = types.nullOr types.path;
        default = null;
      };
      alias = mkOption {
        type = types.nullOr types.path;
        default = null;
      };
      recommendedProxySettings = mkOption {
        type = types.bool;
        default = false;
      };
      extraConfig = mkOption {
        type = types.lines;
        default = "";
      };
    };
  };

  virtualHost = types.submodule {
    options = {
      forceSSL = mkOption {
        type = types.bool;
        default = false;
      };
      onlySSL = mkOption {
        type = types.bool;
        default = false;
      };
      enableACME = mkOption {
        type = types.bool;
        default = false;
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
in
{
  options = {
    assertions = mkOption {
      type = types.listOf types.unspecified;
      default = [ ];
    };
    warnings = strList;

    environment.systemPackages = mkOption {
      type = types.listOf types.package;
      default = [ ];
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
    systemd.tmpfiles.rules = strList;

    users.users = mkOption {
      type = types.attrsOf (
        types.submodule {
          options = {
            isSystemUser = mkOption {
              type = types.bool;
              default = false;
            };
            group = mkOption {
              type = types.str;
              default = "";
            };
            home = mkOption {
              type = types.path;
              default = "/var/empty";
            };
            inherit description;
          };
        }
      );
      default = { };
    };
    users.groups = mkOption {
      type = types.attrsOf (types.submodule { });
      default = { };
    };

    services.postgresql = {
      enable = mkOption {
        type = types.bool;
        default = false;
      };
      ensureDatabases = strList;
      ensureUsers = mkOption {
        type = types.listOf (
          types.submodule {
            options = {
              name = mkOption { type = types.str; };
              ensureDBOwnership = mkOption {
                type = types.bool;
                default = false;
              };
            };
          }
        );
        default = [ ];
      };
    };

    services.nginx = {
      enable = mkOption {
        type = types.bool;
        default = false;
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
}
