import pytest

from hybridroute.privacy import StructuredDetector


def found(detector: StructuredDetector, text: str) -> set[tuple[str, str]]:
    return {(e.type, text[e.start : e.end]) for e in detector.detect(text)}


@pytest.mark.parametrize(
    ("text", "entity_type", "value"),
    [
        (
            "mail me at jane.doe+x@mail.example.co.uk today",
            "EMAIL",
            "jane.doe+x@mail.example.co.uk",
        ),
        ("my card 4111 1111 1111 1111 expired", "CREDIT_CARD", "4111 1111 1111 1111"),
        ("card number 630427373398 is lost", "CREDIT_CARD", "630427373398"),
        # Run together with words: a keyword or groups, and letters that are not hex.
        ("card:4111111111111111exp 12/25", "CREDIT_CARD", "4111111111111111"),
        ("4111 1111 1111 1111password", "CREDIT_CARD", "4111 1111 1111 1111"),
        ("card4111111111111111", "CREDIT_CARD", "4111111111111111"),
        ("Here's my SSN: 460-89-9847", "US_SSN", "460-89-9847"),
        ("ssn 460899847 please", "US_SSN", "460899847"),
        ("IBAN GB82 WEST 1234 5698 7654 32 then", "IBAN", "GB82 WEST 1234 5698 7654 32"),
        ("server at 203.0.113.9 is down", "IP_ADDRESS", "203.0.113.9"),
        ("v6 2001:db8::8a2e:370:7334 ok", "IP_ADDRESS", "2001:db8::8a2e:370:7334"),
        ("call me at +46 (0)8 928 571 38", "PHONE", "+46 (0)8 928 571 38"),
        ("Fax: 345-899-3560x4587", "PHONE", "345-899-3560x4587"),
        ("Phone: 0490 75 40 81", "PHONE", "0490 75 40 81"),
        (
            "key sk-proj-abcdefghijklmnopqrstuvwxyz0123 here",
            "API_KEY",
            "sk-proj-abcdefghijklmnopqrstuvwxyz0123",
        ),
        ("AKIAIOSFODNN7EXAMPLE", "API_KEY", "AKIAIOSFODNN7EXAMPLE"),
        ("my password is hunter22", "PASSWORD", "hunter22"),
        ("postgres://admin:s3cr3t@db:5432/x", "PASSWORD", "s3cr3t"),
        ("passport number: X1234567", "PASSPORT", "X1234567"),
        ("my driver's license number is F162823540116", "DRIVER_LICENSE", "F162823540116"),
        ("routing number 021000021", "ROUTING_NUMBER", "021000021"),
        ("MRN: 00451234", "MEDICAL_RECORD", "00451234"),
        ("insurance member id ABC123456", "INSURANCE_ID", "ABC123456"),
        ("She was born on 2/8/1935.", "DATE_OF_BIRTH", "2/8/1935"),
        ("Name: Åsa Laine\nPhone", "PERSON", "Åsa Laine"),
        ("Dear John Smith, thanks", "PERSON", "John Smith"),
        ("I live at Friedhofstrasse 33, Wien", "STREET_ADDRESS", "Friedhofstrasse 33, Wien"),
        ("Hauptstr. 5, Berlin", "STREET_ADDRESS", "Hauptstr. 5, Berlin"),
        ("Rákóczi út 66.", "STREET_ADDRESS", "Rákóczi út 66"),
        ("Calle de Alcalá 5, Madrid", "STREET_ADDRESS", "Calle de Alcalá 5, Madrid"),
        ("12, rue de la Paix", "STREET_ADDRESS", "12, rue de la Paix"),
        ("Apt. 805", "STREET_ADDRESS", "Apt. 805"),
        ("Storgarden 52\n Suite 894\n HARSTAD", "STREET_ADDRESS", "Suite 894"),
        ("PSC 5420, Box 2708\nAPO AA 33879", "STREET_ADDRESS", "APO AA 33879"),
        # Formats the privacy audit of 2026-11-23 found missed.
        ("My SSN is 536.22.1234", "US_SSN", "536.22.1234"),
        ("SSN 536 - 22 - 1234", "US_SSN", "536 - 22 - 1234"),
        ("SSN 536/22/1234", "US_SSN", "536/22/1234"),
        ("SSN 536_22_1234", "US_SSN", "536_22_1234"),
        ("social: 536 22 1234", "US_SSN", "536 22 1234"),
        ("My SSN is 536-22-\n1234", "US_SSN", "536-22-\n1234"),  # split over two messages
        ("card 4111.1111.1111.1111", "CREDIT_CARD", "4111.1111.1111.1111"),
        ("phone: +49 30 123456789", "PHONE", "+49 30 123456789"),
        ("mail john.smith @ example.com", "EMAIL", "john.smith @ example.com"),
        ("mail john.smith(at)example.com", "EMAIL", "john.smith(at)example.com"),
        ("jo [at] example [dot] org", "EMAIL", "jo [at] example [dot] org"),
        ("mail john.smith at example dot com", "EMAIL", "john.smith at example dot com"),
        ("password: sunshine", "PASSWORD", "sunshine"),
        ("my password is sunshine", "PASSWORD", "sunshine"),
        ("password: correct-horse-battery-staple", "PASSWORD", "correct-horse-battery-staple"),
        ('password: "correct horse"', "PASSWORD", "correct horse"),
        ("pass: Tr0ub4dor&3", "PASSWORD", "Tr0ub4dor&3"),
        ("pw: Tr0ub4dor&3", "PASSWORD", "Tr0ub4dor&3"),
        ("mot de passe: Tr0ub4dor&3", "PASSWORD", "Tr0ub4dor&3"),
        ("Password for the VPN is Blue-Fish-42", "PASSWORD", "Blue-Fish-42"),
        ("password: password1", "PASSWORD", "password1"),
        ("my pin is 4821", "PASSWORD", "4821"),
        ("passcode 482913", "PASSWORD", "482913"),
        # Looser shapes, strong values only.
        ("ssh root@10.0.0.5 with password P@ssw0rd", "PASSWORD", "P@ssw0rd"),
        ("the wifi password hunter22, please keep it", "PASSWORD", "hunter22"),
        ("username admin password Winter2024!", "PASSWORD", "Winter2024!"),
        ("the password was changed to Autumn2024", "PASSWORD", "Autumn2024"),
        ("I reset my password to Tr0ub4dor&3 yesterday", "PASSWORD", "Tr0ub4dor&3"),
        ("password has been set to qwerty123", "PASSWORD", "qwerty123"),
        ("Passwort Sommer2023 für den Router", "PASSWORD", "Sommer2023"),
        ("my passcode Zq8pL2xx works", "PASSWORD", "Zq8pL2xx"),
        ("login root / Tr0ub4dor&3.", "PASSWORD", "Tr0ub4dor&3"),
        ("creds are admin/Sup3rS3cret!", "PASSWORD", "Sup3rS3cret!"),
        ("credentials: jsmith / Blue42sky", "PASSWORD", "Blue42sky"),
        ("use login deploy/Xk9mQ2vL7 for the box", "PASSWORD", "Xk9mQ2vL7"),
        ("my password is now Winter2024!", "PASSWORD", "Winter2024!"),
        # The keyword ending an identifier (.env, docker-compose, JSON).
        ("DB_PASSWORD=S3cret99", "PASSWORD", "S3cret99"),
        ("  POSTGRES_PASSWORD: S3cret99", "PASSWORD", "S3cret99"),
        ("export PGPASSWORD=S3cret99", "PASSWORD", "S3cret99"),
        ("ansible_ssh_pass=S3cret99", "PASSWORD", "S3cret99"),
        ('{"dbPassword": "S3cret99"}', "PASSWORD", "S3cret99"),
        ("adminPassword: hunter2x", "PASSWORD", "hunter2x"),
        # "is" and "for" in other languages, with a digit.
        ("Mein Passwort ist Sommer2024", "PASSWORD", "Sommer2024"),
        ("Das Passwort lautet Sommer2024", "PASSWORD", "Sommer2024"),
        ("Kennwort für den Router ist Sommer2024", "PASSWORD", "Sommer2024"),
        ("mon mot de passe est Soleil2024", "PASSWORD", "Soleil2024"),
        ("la contraseña del wifi es Verano2024", "PASSWORD", "Verano2024"),
        ("minha senha é Verao2024", "PASSWORD", "Verao2024"),
        ("Zugangsdaten: admin / Sommer2024!", "PASSWORD", "Sommer2024!"),
        ("identifiants : admin / Soleil2024", "PASSWORD", "Soleil2024"),
        # On a command line.
        ("sshpass -p 'Tr0ub4dor&3' ssh root@10.0.0.5", "PASSWORD", "Tr0ub4dor&3"),
        ("mysql -u root -pS3cretPass app", "PASSWORD", "S3cretPass"),
        ("mysql -h db -u root -p'S3cret99' app", "PASSWORD", "S3cret99"),
        ("curl -u admin:S3cr3tPass https://api.example.com/v1/items", "PASSWORD", "S3cr3tPass"),
        ("curl --user deploy:Xk9mQ2vL7 https://nexus.local/repo", "PASSWORD", "Xk9mQ2vL7"),
        ("net use Z: \\\\srv\\share /user:CORP\\bob P@ssw0rd1", "PASSWORD", "P@ssw0rd1"),
        ("net user bob P@ssw0rd1 /add", "PASSWORD", "P@ssw0rd1"),
        ("docker login -u bob -p Xk9mQ2vL7 registry.example.com", "PASSWORD", "Xk9mQ2vL7"),
        ("htpasswd -b .htpasswd admin S3cret99", "PASSWORD", "S3cret99"),
        ("echo 'bob:S3cret99' | chpasswd", "PASSWORD", "S3cret99"),
        ("redis-cli -h cache -a S3cret99 ping", "PASSWORD", "S3cret99"),
        ("$pw = ConvertTo-SecureString 'S3cret99!' -AsPlainText", "PASSWORD", "S3cret99!"),
        ("keytool -list -keystore ks.jks -storepass S3cret99", "PASSWORD", "S3cret99"),
        ("zip -P hunter22 out.zip report.pdf", "PASSWORD", "hunter22"),
        ("sqlcmd -S db -U sa -P S3cret99 -Q 'select 1'", "PASSWORD", "S3cret99"),
        ("7z a -pS3cret99 out.7z dir", "PASSWORD", "S3cret99"),
        ("enable secret Cisco123!", "PASSWORD", "Cisco123!"),
        ("username admin privilege 15 secret 0 Cisco123!", "PASSWORD", "Cisco123!"),
        ("~/.pgpass line: db:5432:app:bob:S3cret99", "PASSWORD", "S3cret99"),
        # A login and its password joined by a colon, or each after its word.
        ("creds: admin:Sup3rS3cret", "PASSWORD", "Sup3rS3cret"),
        ("login bob:S3cret99 on the test VM", "PASSWORD", "S3cret99"),
        ("user bob pass Bob2024! for the staging box", "PASSWORD", "Bob2024!"),
        ("ftp user bob password S3cret99", "PASSWORD", "S3cret99"),
        # "pass"/"pw"/Spanish "clave" before "is" with a strong value; WPA's psk; arrows.
        ("the wifi pass is CoffeeShop2024", "PASSWORD", "CoffeeShop2024"),
        ("wifi pw is Bl@ckCat99, don't share it", "PASSWORD", "Bl@ckCat99"),
        ("la clave del wifi es Verano2024", "PASSWORD", "Verano2024"),
        ('network={\n  ssid="CafeNet"\n  psk="Bl@ckCat99"\n}', "PASSWORD", "Bl@ckCat99"),
        ("new password -> S3cret99x", "PASSWORD", "S3cret99x"),
        ("the wifi password's Bl@ckCat99", "PASSWORD", "Bl@ckCat99"),
        ("redis://:S3cret99@cache:6379/0", "PASSWORD", "S3cret99"),
        # API keys after "is" or an "api key" in two words; short secrets in env lines.
        ("my api key is 1a2b3c4d5e6f7a8b", "API_KEY", "1a2b3c4d5e6f7a8b"),
        ("api key: 1a2b3c4d5e6f7a8b", "API_KEY", "1a2b3c4d5e6f7a8b"),
        ("JWT_SECRET=mysecret123", "API_KEY", "mysecret123"),
        ("API_KEY=abc123de", "API_KEY", "abc123de"),
        # More providers' token shapes (fictitious values).
        (
            "posts to https://hooks.slack.com/services/TVQEA1H1F/BX519Y9QUWH/rHpe7coruNgr4tNNpnCQ",
            "API_KEY",
            "hooks.slack.com/services/TVQEA1H1F/BX519Y9QUWH/rHpe7coruNgr4tNNpnCQ",
        ),
        (
            "-p pypi-AgEIcHlwaS5vcmc" + "CJM9awdGDwcuCMGPYTZuHVvat77J9OwPs" * 3 + " x",
            "API_KEY",
            "pypi-AgEIcHlwaS5vcmc" + "CJM9awdGDwcuCMGPYTZuHVvat77J9OwPs" * 3,
        ),
        (
            "bot.run('MEw1xw65vpsbPCgkL9c0374nZ3.ZKVRx8.QM9_b8dGlQnd2VawVTURIOHXvDNkl9jk')",
            "API_KEY",
            "MEw1xw65vpsbPCgkL9c0374nZ3.ZKVRx8.QM9_b8dGlQnd2VawVTURIOHXvDNkl9jk",
        ),
        (
            "api.telegram.org/bot3028486205:AAOyWI_wvchteNT8shrKTHFOEhFG3okwayO/getUpdates",
            "API_KEY",
            "3028486205:AAOyWI_wvchteNT8shrKTHFOEhFG3okwayO",
        ),
        (
            "AccountName=x;AccountKey=fWJcI/+d1vrfxjs27m3QgnRHavbd4DJy8TrjwEiECbc331f4d8==;",
            "API_KEY",
            "fWJcI/+d1vrfxjs27m3QgnRHavbd4DJy8TrjwEiECbc331f4d8==",
        ),
        (
            "Authorization: SSWS 00XvrCOXTi9ez0ZrbOPyIUpF8L6VYudjfOL7ef8xuK",
            "API_KEY",
            "00XvrCOXTi9ez0ZrbOPyIUpF8L6VYudjfOL7ef8xuK",
        ),
        (
            'auth=("api", "key-08bb5ec1d5f6ea2b5991661a7e38d631")',
            "API_KEY",
            "key-08bb5ec1d5f6ea2b5991661a7e38d631",
        ),
        ("--access-token dop_v1_" + "9c" * 32, "API_KEY", "dop_v1_" + "9c" * 32),
        (
            'auth: "secret_6OyvcmQrKEKLLUzcmM3fFHjnkTXEvhEGhCTM5VNjdWH"',
            "API_KEY",
            "secret_6OyvcmQrKEKLLUzcmM3fFHjnkTXEvhEGhCTM5VNjdWH",
        ),
        (
            "'key=AAAAjFgKmk3:APA91b" + "nMm7Ct-x_" * 12 + "'",
            "API_KEY",
            "AAAAjFgKmk3:APA91b" + "nMm7Ct-x_" * 12,
        ),
        # Passwords in more languages and shapes.
        ("Votre mot de passe temporaire : Xb7$kLp2Qw", "PASSWORD", "Xb7$kLp2Qw"),
        ("Senha provisória: Tq8#Lm3zR1 (válida por 24h)", "PASSWORD", "Tq8#Lm3zR1"),
        (
            "the wifi password from the sticker: XkP4mT9qWz7RbN2hJ3sd. Safe?",
            "PASSWORD",
            "XkP4mT9qWz7RbN2hJ3sd",
        ),
        ("la mia password di Windows è Pizza4Ever! e devo", "PASSWORD", "Pizza4Ever!"),
        ("Le password du serveur FTP c'est ftp_Lyon_69 and", "PASSWORD", "ftp_Lyon_69"),
        ("Ihr neues Initialkennwort lautet: Start!2024xy", "PASSWORD", "Start!2024xy"),
        ("WLAN-Passwort: Zahnarzt!2024", "PASSWORD", "Zahnarzt!2024"),
        ("SSID Praxis-Gast, WPA2-Schlüssel Zahnarzt!2024", "PASSWORD", "Zahnarzt!2024"),
        ("pasword is qwerty123456 lol", "PASSWORD", "qwerty123456"),
        ("I set my router admin pw to 8v#Tq!2zLr yesterday", "PASSWORD", "8v#Tq!2zLr"),
        ("their password 'Bluebird&42' isn't accepted", "PASSWORD", "Bluebird&42"),
        ("utente magazzino e password Gelato_Limone_7", "PASSWORD", "Gelato_Limone_7"),
        ("my password is Hamburg1987!", "PASSWORD", "Hamburg1987!"),
        ("nmcli dev wifi connect HomeNet password 'P1ne@pple_Tr33'", "PASSWORD", "P1ne@pple_Tr33"),
        ("define( 'DB_PASSWORD', 'wpP@ss_2021x' );", "PASSWORD", "wpP@ss_2021x"),
        (
            'getConnection("jdbc:postgresql://localhost/hr", "hr", "HrDept#2020")',
            "PASSWORD",
            "HrDept#2020",
        ),
        ('requests.get(url, auth=("bob", "S3cret99"))', "PASSWORD", "S3cret99"),
        # SQL users, .NET credentials and settings, Go's DSN, sudo -S, lftp, upper-case
        # identifiers opening with the keyword.
        ("CREATE USER 'rep'@'%' IDENTIFIED BY 'Rep0rt!ng#2024';", "PASSWORD", "Rep0rt!ng#2024"),
        ('new NetworkCredential("svc_backup", "B@ckup2024", "CORP")', "PASSWORD", "B@ckup2024"),
        ('<add key="SmtpPassword" value="M4il!Relay2023" />', "PASSWORD", "M4il!Relay2023"),
        (
            'sql.Open("mysql", "root:G0phers!Run@tcp(127.0.0.1:3306)/inv")',
            "PASSWORD",
            "G0phers!Run",
        ),
        ("echo 'Lnx#Srv_4471' | sudo -S systemctl restart nginx", "PASSWORD", "Lnx#Srv_4471"),
        ("lftp -u ftpuser,Lf7p#Sync2024 sftp://files.example.de", "PASSWORD", "Lf7p#Sync2024"),
        ("DB_USERNAME=loja\nSENHA_BANCO=Pamonha@4521", "PASSWORD", "Pamonha@4521"),
        # More providers' documented shapes, and webhook URLs whose path is the secret.
        (
            "GitLab deploy token gldt-Qp7vXm2Rk9LsT4wYc8Nd for",
            "API_KEY",
            "gldt-Qp7vXm2Rk9LsT4wYc8Nd",
        ),
        (
            "api token ATATT3xFf" + "Gk7_Lq2-Zp9" * 12 + "=XN58AH6B gives",
            "API_KEY",
            "ATATT3xFf" + "Gk7_Lq2-Zp9" * 12 + "=XN58AH6B",
        ),
        (
            "SMTP key xsmtpsib-" + "8d1f3a9c" * 8 + "-Rk4Tq9Wm2Xz7Lp3N fails",
            "API_KEY",
            "xsmtpsib-" + "8d1f3a9c" * 8 + "-Rk4Tq9Wm2Xz7Lp3N",
        ),
        (
            "webhook https://discord.com/api/webhooks/246908116949365648/"
            + "lRMQ_7G2-" * 7
            + "xyz ok",
            "API_KEY",
            "discord.com/api/webhooks/246908116949365648/" + "lRMQ_7G2-" * 7 + "xyz",
        ),
        (
            "url https://fabrikam.webhook.office.com/webhookb2/b421bc50-e050-43a9-a909-b2110542f356"
            "@380826de-b8f1-4309-abf1-40a401c49575/IncomingWebhook/d29730c08d5d322bf52801df74d7ecda"
            "/8430bff6-de36-4b1a-a0c0-3616637ffdb6 now",
            "API_KEY",
            "webhook.office.com/webhookb2/b421bc50-e050-43a9-a909-b2110542f356"
            "@380826de-b8f1-4309-abf1-40a401c49575/IncomingWebhook/d29730c08d5d322bf52801df74d7ecda"
            "/8430bff6-de36-4b1a-a0c0-3616637ffdb6",
        ),
        (
            "hook https://hooks.zapier.com/hooks/catch/5480666/00tkcy9/ now",
            "API_KEY",
            "hooks.zapier.com/hooks/catch/5480666/00tkcy9",
        ),
        (
            "Authorization: Basic c3ZjLWRlcGxveTpVcTghck4yd1hj",
            "PASSWORD",
            "c3ZjLWRlcGxveTpVcTghck4yd1hj",
        ),
        # A few words between the keyword and its "is", in its language.
        ("the password I'm typing is Kitesurf#Maui22 and", "PASSWORD", "Kitesurf#Maui22"),
        ("het wachtwoord van de NAS is Stroopwafel#77, hoe", "PASSWORD", "Stroopwafel#77"),
        ("lösenordet till kontot är Kanelbulle#19 men", "PASSWORD", "Kanelbulle#19"),
        ("hasło do routera to Pierogi_2024! i nie", "PASSWORD", "Pierogi_2024!"),
        # A Polish street after its abbreviated type.
        (
            "Adres: ul. Marszałkowska 84/92 m. 17, 00-514 Warszawa",
            "STREET_ADDRESS",
            "ul. Marszałkowska 84/92 m. 17, 00-514 Warszawa",
        ),
        # Birth dates after keywords in other languages.
        ("Geburtsdatum: 02.07.1991", "DATE_OF_BIRTH", "02.07.1991"),
        ("fecha de nacimiento 23/05/1984", "DATE_OF_BIRTH", "23/05/1984"),
        ("Je suis née le 9 juin 1990", "DATE_OF_BIRTH", "9 juin 1990"),
        ("nascido em 17/08/1972", "DATE_OF_BIRTH", "17/08/1972"),
        ("data di nascita 30/10/1995", "DATE_OF_BIRTH", "30/10/1995"),
        ("geboren am 17. März 1972", "DATE_OF_BIRTH", "17. März 1972"),
    ],
)
def test_detects(detector: StructuredDetector, text: str, entity_type: str, value: str) -> None:
    assert (entity_type, value) in found(detector, text)


@pytest.mark.parametrize(
    "text",
    [
        "Bach's Cello Suite 1 in G",
        "Spring 2024 schedule",
        "The Committee 5 report",
        "Brigade 5 attacked at dawn",
        "Via 3 different paths",
        "Via the API 2 requests",
        "Golf tee 3",
        "set 3 place settings",
        "take 5 route changes",
    ],
)
def test_street_lookalikes_are_not_addresses(detector: StructuredDetector, text: str) -> None:
    assert not any(kind == "STREET_ADDRESS" for kind, _ in found(detector, text))


@pytest.mark.parametrize(
    "text",
    [
        "sha deadbeef4111111111111111cafe",  # a Luhn-valid digit run inside a hex string
        "4111111111111111abc",  # glued, no keyword, not grouped
        "id 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    ],
)
def test_digit_runs_inside_words_are_not_cards(detector: StructuredDetector, text: str) -> None:
    assert not any(kind == "CREDIT_CARD" for kind, _ in found(detector, text))


def test_private_key_block(detector: StructuredDetector) -> None:
    text = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----"
    assert found(detector, text) == {("PRIVATE_KEY", text)}


@pytest.mark.parametrize(
    "text",
    [
        "4111111111111112 is a 16-digit number failing Luhn",
        "SSN 000-12-3456 and 666-12-3456 are invalid",
        "GB82 WEST 1234 5698 7654 33 fails mod-97",
        "version 300.1.2.4 is not an address",
        "What is 1234567 * 89?",
        "The meeting is on 2024-05-01 at 10:30.",
        "api_key = os.getenv('OPENAI_API_KEY')",
        "Explain how password hashing works.",
        "std::vector<int> v;",
        # Password words in code and prose with no password after them (most were flagged
        # by a first draft of the wider password rule, in installed packages' source).
        "username, password = auth",
        "if not password:\n    return",
        "user, pw = auth.split(':', 1)",
        "password: str | None = None",
        "password: OAuthFlowPassword | None = None",
        "    password: HTTP Basic Auth password.",
        "password: Available when the URI contains User Information.",
        'log.warning("password was rejected for admin site.")',
        "if password is None:",
        '"passwd:gecos",',
        "# Second pass: look at all derived classes",
        "Single pass: characters present in the vocabulary",
        "The password is incorrect.",
        "password = '********'",
        "password: <password>",
        "password = input('Password: ')",
        "connect the LED to pin 13",
        "look at the dot product",
        "the p-value was 0.998638, a number close to 1",
        # A password word before something that is not a password.
        "Use a password manager like 1Password or Bitwarden",
        "password sha256 hashing is not enough, use argon2id",
        "the password field accepts utf8 characters",
        "Implement password reset with 2FA and rate limits",
        "password 8 characters minimum, 1 digit",
        "store the password hash_v2 column in the users table",
        "the password policy v2 requires 12 chars",
        "hash the password with pbkdf2 and 600000 iterations",
        "the password was changed to a random string",
        "Password - forgotten? click here",
        "Generate a password generator in Python3",
        # A login word before a path, or before user/password words.
        "login with username/password or SSO",
        "user/pass authentication in HTTP basic",
        "old password / new password / confirm",
        "C:/Users/BMV3/AppData/Local/Android/Sdk/ndk/25.1.8937393/build",
        "curl http://localhost:5000/api/users/johndoe123/devices/d2db5ec4-6e7a",
        "login admin/dashboard/settings2",
        # Found by a first draft in the standard library, /usr/share/doc and /etc.
        "printf(&quot;Password is correct.&quot;);",
        "user anonymous, passwd anonymous@",
        r"agent and passphrase cache\.$",
        # Found by a review of the looser shapes: titles, tickets, types, hashes, commands.
        "password reset INC0012345 for jdoe is done, please close the ticket",
        "Write the KB article: Password Reset - Office365 self-service",
        "password VARCHAR2(100) NOT NULL",
        "sudo passwd student01",
        # "identified by" in prose; a settings name opening with the keyword.
        "Load and return a dynamic library identified by 'name1x'.",
        "PASSWORD_RESET_TIMEOUT=259200",
        "Store the password base64-encoded or encrypted in the k8s Secret?",
        "Django stores the password pbkdf2_sha256 hashed by default",
        "What's the difference between Wi-Fi password WPA2-PSK and WPA3-SAE?",
        "Revert the password reset 4e5f6a7 commit, it broke login",
        "INFO password changed 2024-05-01T12:00:00Z for uid=1042",
        "The password reset /api/v1/users/reset endpoint returns 500",
        "Is a password 12-character minimum enough, or should we go to 16?",
        "Add validation for password min_length=8 and max_length=128",
        "default SSH user is ubuntu / ec2-user",
        "login node / gpu-node-01",
        "user story / JIRA-4521",
        "secretKey: Uint8Array",
        "token = id2token[idx]",
        "la contraseña es incorrecta",
        "self.db_password = db_password",
        "MYSQL_ROOT_PASSWORD: ${MYSQL_ROOT_PASSWORD}",
        "bypass: route2",
        # Commands that take a password elsewhere, or a variable or placeholder for it.
        "mysql -u root -p mydb",
        "mysql -h db -P 3306 -u app -p app",
        "curl -u user:password https://x.example.com",
        'curl -u "$USER:$TOKEN" https://x.example.com',
        "curl --user-agent Mozilla:5.0 https://x.example.com",
        "net user bob /delete",
        "net user bob *",
        "docker login -u user --password-stdin",
        'redis-cli -a "$REDIS_PASSWORD" ping',
        "sqlcmd -S srv -p 1",
        "htpasswd -c .htpasswd admin",
        'zip -P "<password>" out.zip f',
        # A call after a secret keyword is code, not a value.
        "token = b64encode(userpass).decode()",
        "token = base64.b64encode(raw)",
        # Near the shapes added after the second review.
        "This property joins the username and\n password with a colon.",
        "Host required (e.g., `rediss://:pass@localhost`)",
        "postgres://user:password@localhost/db",
        "the second pass is O(n2)",
        "a boarding pass is required for gate B12",
        "palabra clave: 2024",
        "WPA2-PSK",
        "login: 2024-01-05T10:30:00Z",
        "username: postgres:16-alpine",
        "password -> bcrypt -> hash",
        "MAX_TOKENS=4096",
        "SESSION_TOKEN_TTL=3600s",
        "REFRESH_TOKEN=3600s",
        "GITHUB_TOKEN=${{ secrets.GITHUB_TOKEN }}",
        "API_KEY=your_key",
        # Near the shapes added after the held-out set.
        "What's the difference between WPA2-Personal and WPA3?",
        "Is the password SHA1-hashed or MD5-hashed?",
        "the password is wrong!",
        "git clone git@github.com:torvalds/linux.git takes forever",
        "Serial number on my dishwasher is 2319 0487 11, where is the model number?",
        "Part number 123-45-678 is discontinued",
        "see section 4.2.1.3 of the spec",
        "          - name: DB_PASSWORD\n            valueFrom:",
        # Basic credentials that are no "user:password", or the RFC's and docs' examples.
        "Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
        "Authorization: Basic dXNlcjpwYXNzd29yZA==",
        "Authorization: Basic dXNlcm5hbWU=",
        "Authorization: Basic <credentials>",
        # Near the words-then-"is" shape; "to" counts only after the Polish word.
        "Send the password reset link to user42",
        "Copy the password file from the vault to server01",
        "Authorization: Basic YWRtaW46YWRtaW4=",  # admin:admin
        "Authorization: Basic Zm9vOmJhcg==",  # foo:bar
        "the password reset link is valid for 24h",
        "Password hashing in Django is PBKDF2",
        "the password of the test user in the fixture is Passw0rd",
        "the password you supplied is not correct",
    ],
)
def test_rejects_look_alikes(detector: StructuredDetector, text: str) -> None:
    assert found(detector, text) == set()
