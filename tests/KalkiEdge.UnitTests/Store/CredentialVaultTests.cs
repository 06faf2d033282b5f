using KalkiEdge.Store;
using Microsoft.Data.Sqlite;

namespace KalkiEdge.UnitTests.Store;

/// <summary>Device credentials are sealed at rest under the store's own key and open only for their device.</summary>
public sealed class CredentialVaultTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("kalki-vault-").FullName;

    [TearDown]
    public void TearDown()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Test]
    public void Credentials_are_sealed_in_the_database_and_opened_when_read()
    {
        var path = Path.Combine(_dir, "kalki.db");
        using (var store = KalkiStore.Open(path))
        {
            store.SaveRuntimeDevice(Record("cam", "admin-user-x", "pw-7Hq!-secret"), null, new AuditEntry(1, "test", "device-add", "cam"));
            Assert.That(store.LoadRuntimeDevices().Single() is { CredentialsUser: "admin-user-x", CredentialsPassword: "pw-7Hq!-secret" }, Is.True);
        }

        SqliteConnection.ClearAllPools();
        var raw = string.Concat(Directory.GetFiles(_dir, "kalki.db*").Select(f => System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(f))));
        Assert.That(raw, Does.Not.Contain("pw-7Hq!-secret").And.Not.Contain("admin-user-x"));
        var key = new FileInfo(Path.Combine(_dir, CredentialVault.KeysDirectoryName, CredentialVault.KeyFileName));
        Assert.That((key.Length, key.UnixFileMode), Is.EqualTo((32L, UnixFileMode.UserRead | UnixFileMode.UserWrite)));
    }

    [Test]
    public void A_sealed_value_opens_only_for_its_device_and_only_under_its_key()
    {
        var vault = CredentialVault.Open(_dir);
        var sealedPassword = vault.Seal("pw-7Hq!-secret", "cam");
        Assert.Multiple(() =>
        {
            Assert.That(vault.Open(sealedPassword, "cam"), Is.EqualTo("pw-7Hq!-secret"));
            Assert.That(vault.Open(sealedPassword, "other-cam"), Is.Null, "moved to another device");
            Assert.That(vault.Open(sealedPassword![..^4] + "AAA=", "cam"), Is.Null, "tampered");
            Assert.That(vault.Open("aesgcm1:not base64!", "cam"), Is.Null);
        });

        File.Delete(Path.Combine(_dir, CredentialVault.KeyFileName));
        Assert.That(CredentialVault.Open(_dir).Open(sealedPassword, "cam"), Is.Null, "another key");
    }

    private static RuntimeDeviceRecord Record(string name, string user, string password) =>
        new(name, "02:00:00:00:09:01", ["192.0.2.90"], "dlink-camera", null, null, null, "", user, password);
}
