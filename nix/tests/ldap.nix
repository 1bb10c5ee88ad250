# NixOS VM test: LDAP logins against a local OpenLDAP (services.openldap), end to end.
# Run with `nix build .#checks.x86_64-linux.vm-ldap` (needs KVM).
{ self }:
{ lib, ... }:
let
  base = "dc=example,dc=org";
in
{
  name = "bitpoll-ldap";

  nodes.machine =
    { pkgs, ... }:
    {
      imports = [ self.nixosModules.default ];

      services.openldap = {
        enable = true;
        urlList = [ "ldap://127.0.0.1/" ];
        settings.children = {
          "cn=schema".includes = [
            "${pkgs.openldap}/etc/schema/core.ldif"
            "${pkgs.openldap}/etc/schema/cosine.ldif"
            "${pkgs.openldap}/etc/schema/inetorgperson.ldif"
            "${pkgs.openldap}/etc/schema/nis.ldif"
          ];
          "olcDatabase={1}mdb".attrs = {
            objectClass = [
              "olcDatabaseConfig"
              "olcMdbConfig"
            ];
            olcDatabase = "{1}mdb";
            olcDbDirectory = "/var/lib/openldap/db";
            olcSuffix = base;
            olcRootDN = "cn=admin,${base}";
            # Test only: a throwaway directory inside the VM.
            olcRootPW = "vm-test-admin-password";
            olcAccess = [
              "{0}to attrs=userPassword by anonymous auth by * none"
              "{1}to * by users read by * none"
            ];
          };
        };
        declarativeContents.${base} = ''
          dn: ${base}
          objectClass: dcObject
          objectClass: organization
          dc: example
          o: Example

          dn: ou=people,${base}
          objectClass: organizationalUnit
          ou: people

          dn: ou=groups,${base}
          objectClass: organizationalUnit
          ou: groups

          dn: uid=carol,ou=people,${base}
          objectClass: inetOrgPerson
          uid: carol
          cn: Carol Directory
          sn: Directory
          mail: carol@example.org
          userPassword: vm-test-carol-password

          dn: cn=council,ou=groups,${base}
          objectClass: groupOfNames
          cn: council
          member: uid=carol,ou=people,${base}
        '';
      };

      services.bitpoll = {
        enable = true;
        ldap = {
          enable = true;
          uri = "ldap://127.0.0.1";
          bindDn = "cn=admin,${base}";
          # Outside the store, as agenix or sops-nix would put it.
          bindPasswordFile = "/run/bitpoll-test/ldap_bind_password";
          userSearchBase = "ou=people,${base}";
          groupSearchBase = "ou=groups,${base}";
        };
      };
      systemd.services.bitpoll = {
        after = [ "openldap.service" ];
        wants = [ "openldap.service" ];
      };

      systemd.tmpfiles.rules = [
        "d /run/bitpoll-test 0700 root root - -"
        "f /run/bitpoll-test/ldap_bind_password 0400 root root - vm-test-admin-password"
      ];
      environment.systemPackages = [ pkgs.curl ];
    };

  testScript = builtins.readFile ./bitpoll_http.py + builtins.readFile ./ldap.py;
}
