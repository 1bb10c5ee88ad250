# LDAP logins through the login form, against services.openldap on the same machine.
# (bitpoll_http.py is prepended: Client, form_with.)
start_all()
machine.wait_for_unit("openldap.service")
machine.wait_for_unit("bitpoll.socket")
client = Client(machine, "http://127.0.0.1:8000")
CAROL = {"username": "carol", "password": "vm-test-carol-password"}  # the VM's throwaway

with subtest("a directory user logs in with the form"):
    status, _, body = client.get("/accounts/sso/login/")
    assert status == 200, status
    form = form_with(body, "username")
    status, location, body = client.submit("/accounts/sso/login/", form, **CAROL)
    assert status == 302, f"not logged in ({status}):\n{body[:3000]}"
    status, _, body = client.get("/accounts/sso/login/")
    assert "data-logged-in" in body and "carol" in body, body[:3000]

with subtest("name, e-mail and groups come from the directory"):
    out = machine.succeed(
        "bitpoll-manage shell -c '"
        'from django.contrib.auth.models import User; u = User.objects.get(username="carol"); '
        "print(u.email, u.profile.display_name, "
        "[m.group.name for m in u.bitpoll_memberships.all()])'"
    )
    assert "carol@example.org Carol Directory ['council']" in out, out

with subtest("a wrong password is refused with the form again"):
    other = Client(machine, "http://127.0.0.1:8000", name="other")
    status, _, body = other.get("/accounts/sso/login/")
    form = form_with(body, "username")
    status, _, body = other.submit("/accounts/sso/login/", form, **{**CAROL, "password": "no"})
    assert status == 200 and "data-logged-in" not in body, status

with subtest("the bind password is a credential and the directory on loopback keeps the rule"):
    machine.succeed("systemctl show -p LoadCredential bitpoll.service | grep -q ldap_bind_password")
    machine.succeed("systemctl show -p IPAddressDeny bitpoll.service | grep -q '0.0.0.0/0'")

with subtest("the deployment check binds the service account"):
    out = machine.succeed("bitpoll-manage check --deploy --tag bitpoll 2>&1 || true")
    assert "bitpoll.E131" not in out, out
