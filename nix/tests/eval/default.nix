# Evaluates nix/module.nix with nixpkgs' module system, the option stubs in
# ./stubs.nix and a stub `pkgs`, and returns plain data for tests/nix to
# check. Runs with nothing but nixpkgs' lib folder:
#
#   nix-instantiate --eval --strict --json --expr \
#     'import ./nix/tests/eval { lib = import $NIXPKGS_LIB; configuration = { services.bitpoll.enable = true; }; }'
#
# `part = "checks"` returns only the failed assertions and the warnings, so
# that a bad configuration can be checked without evaluating the units it
# would produce.
{
  lib,
  configuration,
  part ? "all",
  # The module under test; tests/nix also passes the flake's wrapper.
  module ? ../../module.nix,
}:

let
  storePath = name: "/nix/store/00000000000000000000000000000000-${name}";
  drv = name: extra: {
    type = "derivation";
    inherit name;
    outPath = storePath name;
  } // extra;

  pkgs = {
    bitpoll = drv "bitpoll-0.1.0" { };
    coreutils = drv "coreutils-9.5" { };
    systemd = drv "systemd-257" { };
    writeShellScriptBin = name: text: drv name { inherit text; };
    stdenv.hostPlatform.system = "x86_64-linux";
  };

  evaluated = lib.evalModules {
    modules = [
      ./stubs.nix
      module
      { _module.args.pkgs = pkgs; }
      configuration
    ];
  };
  inherit (evaluated) config;

  checks = {
    failedAssertions = map (a: a.message) (builtins.filter (a: !a.assertion) config.assertions);
    inherit (config) warnings;
  };

  bitpollUnits = attrs: lib.filterAttrs (name: _: lib.hasPrefix "bitpoll" name) attrs;
in
if part == "checks" then
  checks
else
  checks
  // {
    services = bitpollUnits config.systemd.services;
    sockets = bitpollUnits config.systemd.sockets;
    timers = bitpollUnits config.systemd.timers;
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
  }
