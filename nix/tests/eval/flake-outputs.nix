# Calls flake.nix's `outputs` with a stand-in for nixpkgs (its real lib, fake
# package sets whose callPackage evaluates the real nix/package.nix) and
# returns what tests/nix checks about the flake's shape, without fetching
# nixpkgs or building anything.
{ lib }:

let
  storePath = name: "/nix/store/00000000000000000000000000000000-${name}";

  fakePkgs = system: {
    stdenv.hostPlatform = {
      inherit system;
      isLinux = lib.hasSuffix "-linux" system;
    };
    testers.runNixOSTest = test: {
      type = "derivation";
      name = "vm-test";
      outPath = storePath "vm-test";
      inherit test;
    };
    # The real nix/package.nix, called with a stand-in Python set; the
    # result looks like the derivation buildPythonApplication would make.
    callPackage =
      file: args:
      let
        drv = import file (
          {
            inherit lib;
            python3Packages = import ./python-packages.nix { inherit lib file; };
          }
          // args
        );
      in
      {
        type = "derivation";
        name = "${drv.pname}-${drv.version}";
        outPath = storePath "${drv.pname}-${drv.version}";
        inherit (drv) meta passthru;
      };
  };

  systems = [
    "x86_64-linux"
    "aarch64-linux"
    "x86_64-darwin"
    "aarch64-darwin"
  ];

  nixpkgs = {
    inherit lib;
    outPath = storePath "nixpkgs";
    legacyPackages = lib.genAttrs systems fakePkgs;
  };

  flake = import ../../../flake.nix;
  outputs = flake.outputs {
    self = outputs;
    inherit nixpkgs;
  };

  vmTest = name: outputs.checks.x86_64-linux.${name}.test { inherit lib; };
  names = lib.mapAttrs (_: builtins.attrNames);
in
{
  inputUrl = flake.inputs.nixpkgs.url;
  outputNames = builtins.attrNames outputs;
  packages = names outputs.packages;
  apps = lib.mapAttrs (_: app: app.default.program) outputs.apps;
  devShellSystems = builtins.attrNames outputs.devShells;
  nixosModules = builtins.attrNames outputs.nixosModules;
  overlays = builtins.attrNames outputs.overlays;
  checks = names outputs.checks;
  formatterSystems = builtins.attrNames outputs.formatter;
  packageTests = lib.mapAttrs (_: p: builtins.attrNames p.default.passthru.tests) outputs.packages;
  vmTests = lib.genAttrs [ "vm-sqlite" "vm-postgresql" "vm-ldap" ] (
    name:
    let
      test = vmTest name;
    in
    {
      inherit (test) name;
      # Functions cannot be compared, so follow the import to the file.
      importedModules =
        let
          node = test.nodes.machine { pkgs = { }; };
          wrapper = builtins.head node.imports {
            inherit lib;
            pkgs = fakePkgs "x86_64-linux";
          };
        in
        map (path: lib.removePrefix (toString ../../..) (toString path)) wrapper.imports;
      scriptLength = builtins.stringLength test.testScript;
    }
  );
  module = outputs.nixosModules.bitpoll;
}
