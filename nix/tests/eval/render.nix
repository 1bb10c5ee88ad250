# Unit files from evaluated systemd.services/sockets/timers, written the way
# NixOS writes them (nixos/lib/systemd-lib.nix: the dependency lists and the
# description go to [Unit], each environment variable is one JSON-quoted
# Environment= line, the switch-to-configuration flags are X-* keys in
# [Service], list values repeat their key, booleans are true/false).
#
# Left out, because they are the same for every NixOS service and name
# NixOS store paths: the PATH NixOS adds (coreutils, findutils, gnugrep,
# gnused, systemd) and systemd.globalEnvironment (LOCALE_ARCHIVE, TZDIR);
# wantedBy becomes a symlink in <target>.wants/, not a line in the file.
{ lib }:

let
  value =
    x:
    if x == true then
      "true"
    else if x == false then
      "false"
    else
      toString x;
  lines =
    attrs:
    lib.concatStrings (
      lib.concatLists (
        lib.mapAttrsToList (key: v: map (x: "${key}=${value x}\n") (lib.toList v)) (
          lib.filterAttrs (_: v: v != null) attrs
        )
      )
    );
  joined = key: list: lib.optionalAttrs (list != [ ]) { ${key} = toString list; };

  unitSection =
    unit:
    "[Unit]\n"
    + lines (
      joined "Requires" unit.requires
      // joined "Wants" unit.wants
      // joined "After" unit.after
      // joined "Before" unit.before
      // joined "BindsTo" unit.bindsTo
      // joined "PartOf" unit.partOf
      // joined "Conflicts" unit.conflicts
      // lib.optionalAttrs (unit.description != "") { Description = unit.description; }
      // joined "Documentation" unit.documentation
      // unit.unitConfig
    );

  environmentLine = name: v: "Environment=${builtins.toJSON "${name}=${toString v}"}\n";
  environmentLines =
    env:
    lib.concatStrings (
      lib.mapAttrsToList environmentLine (lib.filterAttrs (_: v: v != null) env)
    );
  switchFlags =
    unit:
    (
      if unit.reloadIfChanged then
        "X-ReloadIfChanged=true\n"
      else if !unit.restartIfChanged then
        "X-RestartIfChanged=false\n"
      else
        ""
    )
    + lib.optionalString (!unit.stopIfChanged) "X-StopIfChanged=false\n";
in
{
  service =
    unit:
    unitSection unit
    + "\n[Service]\n"
    + environmentLines unit.environment
    + switchFlags unit
    + lines unit.serviceConfig;

  socket =
    unit:
    unitSection unit
    + "\n[Socket]\n"
    + lines unit.socketConfig
    + lib.concatMapStrings (s: "ListenStream=${s}\n") unit.listenStreams
    + lib.concatMapStrings (s: "ListenDatagram=${s}\n") unit.listenDatagrams;

  timer = unit: unitSection unit + "\n[Timer]\n" + lines unit.timerConfig;
}
