# Calls nix/package.nix with nixpkgs' real lib and a stand-in Python package
# set, and returns what tests/nix checks about the package: which Python
# packages end up where, and the derivation attributes that matter on other
# platforms. Nothing is built or fetched.
#
# The stand-in (./python-packages.nix) resolves every package to its nixpkgs
# attribute name, and `buildPythonApplication` returns its arguments.
{ lib }:

let
  file = ../../package.nix;
  python3Packages = import ./python-packages.nix { inherit lib file; };

  args = import file {
    inherit lib python3Packages;
    vmTests = { };
  };
  names = map (p: p.pname);
in
{
  dependencies = names args.dependencies;
  optionalDependencies = lib.mapAttrs (_: names) (args.optional-dependencies or { });
  buildSystem = names args.build-system;
  nativeCheckInputs = names args.nativeCheckInputs;
  devPackages = names args.passthru.pythonDevPackages;
  darwinAllowLocalNetworking = args.__darwinAllowLocalNetworking or false;
  disabledTestPaths = args.disabledTestPaths or [ ];
}
