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

      # Mail: a local SMTP sink (aiosmtpd, Maildir) receives what
      # bitpoll-mail.service sends.
      services.bitpoll.email = {
        host = "127.0.0.1";
        port = 2525;
        security = "none";
        from = "polls@polls.test";
      };
      systemd.services.smtp-sink = {
        wantedBy = [ "multi-user.target" ];
        before = [ "bitpoll-mail.service" ];
        serviceConfig = {
          StateDirectory = "smtp-sink";
          ExecStart = "${
            pkgs.python3.withPackages (p: [ p.aiosmtpd ])
          }/bin/python -m aiosmtpd -n -l 127.0.0.1:2525 -c aiosmtpd.handlers.Mailbox /var/lib/smtp-sink/maildir";
        };
      };
    };

  testScript = builtins.readFile ./bitpoll_http.py + builtins.readFile ./postgresql.py;
}
