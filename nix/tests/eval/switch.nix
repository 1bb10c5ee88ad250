# What `switch-to-configuration switch` (nixos-rebuild switch) does with
# Bitpoll's units when some of them changed, derived from the evaluated unit
# options. A model of the decisions in nixpkgs'
# pkgs/by-name/sw/switch-to-configuration-ng (read, not copied), for the
# kinds of units the module defines:
#
# - only units that are active and whose unit file changed are considered;
# - a changed .socket is left alone (neither stopped nor restarted);
# - a changed .timer (anything but a service) is restarted;
# - a changed service is reloaded with reloadIfChanged, skipped with
#   restartIfChanged = false, restarted with stopIfChanged = false;
#   otherwise it is stopped before the new configuration is activated, and,
#   when its `<name>.socket` is active, that socket is stopped with it and
#   only the socket is started afterwards; else the service is started;
# - afterwards every active target is started, which starts whatever a
#   target wants that is not running (our units' wantedBy targets).
#
# The result lists the jobs per phase, in the order switch-to-configuration
# runs them, and the same as `systemctl` command lines, so that the VM
# harness in tests/system can replay them under a real systemd.
{
  lib,
  services,
  sockets,
  timers,
  # Unit names (with suffix) whose unit file differs in the new generation.
  changed,
  # Unit names that are running when the switch starts; by default those
  # that some target wants (what runs after boot).
  active ? null,
}:

let
  withSuffix = suffix: attrs: lib.mapAttrs' (name: lib.nameValuePair "${name}.${suffix}") attrs;
  units = withSuffix "service" services // withSuffix "socket" sockets // withSuffix "timer" timers;
  running =
    if active != null then
      active
    else
      builtins.attrNames (lib.filterAttrs (_: unit: unit.enable && unit.wantedBy != [ ]) units);
  isActive = name: builtins.elem name running;
  considered = builtins.filter (name: isActive name && units ? ${name}) changed;

  decide =
    name:
    let
      unit = units.${name};
      socket = "${lib.removeSuffix ".service" name}.socket";
    in
    if lib.hasSuffix ".socket" name then
      { }
    else if !lib.hasSuffix ".service" name then
      { restart = [ name ]; }
    else if unit.reloadIfChanged then
      { reload = [ name ]; }
    else if !unit.restartIfChanged then
      { skip = [ name ]; }
    else if !unit.stopIfChanged then
      { restart = [ name ]; }
    else if isActive socket && units ? ${socket} then
      {
        stop = [
          name
          socket
        ];
        start = [ socket ];
      }
    else
      {
        stop = [ name ];
        start = [ name ];
      };

  decisions = map decide considered;
  collect = phase: lib.unique (lib.concatMap (d: d.${phase} or [ ]) decisions);
  # switch-to-configuration submits these jobs together; sorted here for a
  # stable order.
  wantedTargets = name: builtins.filter (lib.hasSuffix ".target") units.${name}.wantedBy;
  targets = lib.sort lib.lessThan (
    lib.unique (lib.concatMap wantedTargets (builtins.filter isActive (builtins.attrNames units)))
  );
  phases = {
    stop = collect "stop";
    skip = collect "skip";
    reload = collect "reload";
    restart = collect "restart";
    start = collect "start" ++ targets;
  };
  systemctl = verb: names: lib.optional (names != [ ]) ([ "systemctl" verb ] ++ names);
in
phases
// {
  # Between `stop` and the rest, switch-to-configuration activates the new
  # configuration (new unit files in /etc/systemd/system), forgets failed
  # units and reloads systemd.
  commands =
    systemctl "stop" phases.stop
    ++ [
      [
        "systemctl"
        "reset-failed"
      ]
      [
        "systemctl"
        "daemon-reload"
      ]
    ]
    ++ systemctl "reload" phases.reload
    ++ systemctl "restart" phases.restart
    ++ systemctl "start" phases.start;
}
