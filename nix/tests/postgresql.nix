# NixOS VM test: PostgreSQL created locally, nginx in front, hardening and
# the admin wrapper. Run with `nix build .#checks.x86_64-linux.vm-postgresql`.
{ self }:
{ ... }:
{
  name = "bitpoll-postgresql";

  nodes.machine =
    { pkgs, ... }:
    {
      imports = [ self.nixosModules.default ];

      services.bitpoll = {
        enable = true;
        database = {
          type = "postgresql";
          createLocally = true;
        };
        nginx = {
          enable = true;
          hostName = "polls.test";
        };
      };
      networking.hosts."127.0.0.1" = [ "polls.test" ];
      environment.systemPackages = [ pkgs.curl ];
    };

  testScript = builtins.readFile ./bitpoll_http.py + builtins.readFile ./postgresql.py;
}
