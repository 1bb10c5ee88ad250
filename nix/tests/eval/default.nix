# Evaluates nix/module.nix with nixpkgs' module system, the option
# declarations in ./stubs.nix (typed like NixOS's) and a `pkgs` shaped like
# nixpkgs' that, like nixpkgs, has no `bitpoll`; returns plain data for
# tests/nix (and tests/system) to check. Runs with nothing but nixpkgs' lib:
#
#   nix-instantiate --eval --strict --json --expr \
#     'import ./nix/tests/eval { lib = import $NIXPKGS_LIB; configuration = { services.bitpoll.enable = true; }; }'
#
# `part = "checks"` returns only the failed assertions and the warnings, so
# that a bad configuration can be checked without evaluating the units it
# would produce.
#
# `unitFiles` are the unit files NixOS would write for them (./render.nix).
# `switchOnUpgrade` is what `nixos-rebuild switch` does with the units when
# a new Bitpoll package arrives (see ./switch.nix and docs/nixos.md): the
# jobs per phase and, in `commands`, the `systemctl` calls to replay.
{
  lib,
  configuration,
  part ? "all",
  # The module under test; tests/nix also passes the flake's wrapper.
  module ? ../../module.nix,
  # Whether to set services.bitpoll.package to a stand-in package; false
  # leaves the option to its default (nixpkgs has no bitpoll, so the module
  # must say what to do, or the flake's wrapper must set it).
  withPackage ? true,
}:

let
  storePath = name: "/nix/store/00000000000000000000000000000000-${name}";
  drv =
    name: extra:
    {
      type = "derivation";
      inherit name;
      outPath = storePath name;
    }
    // extra;

  # What the module may reach in pkgs, shaped like nixpkgs.
  pkgs = {
    inherit lib;
    stdenv.hostPlatform = {
      system = "x86_64-linux";
      isLinux = true;
      isDarwin = false;
    };
    coreutils = drv "coreutils-9.7" { };
    systemd = drv "systemd-257.9" { };
    nginx = drv "nginx-1.28.0" { };
    postgresql = drv "postgresql-17.5" { };
    writeShellScriptBin = name: text: drv name { inherit text; };
    writeText = name: text: drv name { inherit text; };
  };

  evaluated = lib.evalModules {
    modules = [
      ./stubs.nix
      module
      { _module.args.pkgs = pkgs; }
      configuration
    ]
    ++ lib.optional withPackage { services.bitpoll.package = drv "bitpoll-0.1.0" { }; };
  };
  inherit (evaluated) config;

  checks = {
    failedAssertions = map (a: a.message) (builtins.filter (a: !a.assertion) config.assertions);
    inherit (config) warnings;
  };

  bitpollUnits = attrs: lib.filterAttrs (name: _: lib.hasPrefix "bitpoll" name) attrs;
  services = bitpollUnits config.systemd.services;
  sockets = bitpollUnits config.systemd.sockets;
  timers = bitpollUnits config.systemd.timers;

  # A new package changes every unit whose definition names it.
  packagePath = toString config.services.bitpoll.package;
  mentionsPackage = unit: lib.hasInfix packagePath (builtins.toJSON unit);
  changedBy =
    suffix: attrs:
    map (name: "${name}.${suffix}") (
      builtins.attrNames (lib.filterAttrs (_: mentionsPackage) attrs)
    );
in
if part == "checks" then
  checks
else
  checks
  // {
    inherit services sockets timers;
    tmpfiles = config.systemd.tmpfiles.rules;
    users = config.users.users;
    groups = builtins.attrNames config.users.groups;
    postgresql = config.services.postgresql;
    nginx = config.services.nginx;
    firewallTCPPorts = config.networking.firewall.allowedTCPPorts;
    systemPackages = map (p: {
      inherit (p) name;
      text = p.text or null;
    }) config.environment.systemPackages;
    options = {
      inherit (config.services.bitpoll) allowedHosts baseUrl;
    };
    # Every option of services.bitpoll, for the check of docs/nixos.md.
    declared = map (option: {
      name = lib.removePrefix "services.bitpoll." (lib.showOption option.loc);
      hasDescription = (option.description or "") != "";
      hasExample = option ? example;
    }) (lib.collect lib.isOption evaluated.options.services.bitpoll);
    # The unit files NixOS would write (see ./render.nix), by file name.
    unitFiles =
      let
        render = import ./render.nix { inherit lib; };
        files =
          suffix:
          lib.mapAttrs' (name: unit: lib.nameValuePair "${name}.${suffix}" (render.${suffix} unit));
      in
      files "service" services // files "socket" sockets // files "timer" timers;
    switchOnUpgrade = import ./switch.nix {
      inherit
        lib
        services
        sockets
        timers
        ;
      changed =
        changedBy "service" services ++ changedBy "socket" sockets ++ changedBy "timer" timers;
    };
  }
