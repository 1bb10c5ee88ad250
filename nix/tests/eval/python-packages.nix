# A stand-in for nixpkgs' python3Packages, enough to call a package file
# like nix/package.nix without nixpkgs: one attribute for every word in the
# file, each a marker `{ pname = <attribute name>; }`, so that whatever the
# file takes from the set (by `with`, by `.name`, through `++` or
# `optional`) shows the nixpkgs attribute name it uses; and a
# `buildPythonApplication` that returns its arguments instead of building.
{ lib, file }:

let
  words = builtins.filter (w: builtins.isString w && w != "") (
    builtins.split "[^A-Za-z0-9_'-]+" (builtins.readFile file)
  );
in
lib.genAttrs words (name: {
  pname = name;
})
// {
  buildPythonApplication = args: args;
}
