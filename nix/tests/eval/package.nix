# Calls nix/package.nix with nixpkgs' real lib and a stand-in Python package
# set, and returns what tests/nix checks about the package: which Python
# packages end up where, and the derivation attributes that matter on other
# platforms. Nothing is built or fetched.
#
# The stand-in has one attribute for every word in package.nix, each a
# marker `{ pname = <attribute name>; }`, so whatever package.nix takes from
# `python3Packages` (by `with`, by `.name`, through `++` or `optional`)
# resolves to the nixpkgs attribute name it uses. `buildPythonApplication`
# returns its arguments instead of a derivation.
{ lib }:

let
  file = ../../package.nix;
  words = builtins.filter (w: builtins.isString w && w != "") (
    builtins.split "[^A-Za-z0-9_'-]+" (builtins.readFile file)
  );
  markers = lib.genAttrs words (name: {
    pname = name;
  });
  python3Packages = markers // {
    buildPythonApplication = args: args;
  };

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
