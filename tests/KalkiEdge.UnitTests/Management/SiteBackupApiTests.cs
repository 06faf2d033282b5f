using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using KalkiEdge.Appliance.Backup;
using KalkiEdge.ControlPlane.Registry;

namespace KalkiEdge.UnitTests.Management;

/// <summary>POST /api/backup and /api/restore through the real HTTP pipeline, signed in as the dashboard is.</summary>
public class SiteBackupApiTests : ManagementAppFixture
{
    private string DataDir => Path.Combine(_dir, "data");

    private static ByteArrayContent Zip(byte[] archive, string? passphrase = null)
    {
        var content = new ByteArrayContent(archive);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        if (passphrase is not null)
        {
            content.Headers.Add("X-Backup-Passphrase", passphrase);
        }

        return content;
    }

    [Test]
    public async Task A_backup_downloaded_from_the_dashboard_uploads_back_and_is_staged_for_the_next_start()
    {
        using var browser = await _app.SignedInAsync();
        Assert.That(_app.Site.Appliance.Registry.Add(new DeviceSpec("plug1", "02:00:00:00:07:02", ["192.0.2.72"]) { Type = "generic-iot" }, "alice").Succeeded);
        _app.Site.Appliance.Store!.Writer.Flush(TimeSpan.FromSeconds(10));
        Directory.CreateDirectory(Path.Combine(DataDir, "keys"));
        File.WriteAllText(Path.Combine(DataDir, "keys", "tls.key"), "key");

        var backup = await browser.PostAsJsonAsync("/api/backup", new { passphrase = "correct horse battery staple" });
        Assert.That(backup.StatusCode, Is.EqualTo(HttpStatusCode.OK), await backup.Content.ReadAsStringAsync());
        Assert.That(backup.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/zip"));
        var archive = await backup.Content.ReadAsByteArrayAsync();
        using (var zip = new ZipArchive(new MemoryStream(archive)))
        {
            Assert.That(zip.Entries.Select(e => e.FullName), Is.EquivalentTo(new[] { "store.db", "keys.sealed", "manifest.json" }));
        }

        var wrong = await browser.PostAsync("/api/restore", Zip(archive, "not the passphrase!"));
        Assert.That(wrong.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        Assert.That((await wrong.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString(), Does.Contain("wrong passphrase"));
        Assert.That(Directory.Exists(Path.Combine(DataDir, SiteRestore.PendingName)), Is.False);

        var restored = await browser.PostAsync("/api/restore", Zip(archive, "correct horse battery staple"));
        Assert.That(restored.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await restored.Content.ReadAsStringAsync());
        var staged = await restored.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(staged.GetProperty("runtimeDevices").GetInt32(), Is.EqualTo(1));
        Assert.That(staged.GetProperty("keyFiles").EnumerateArray().Select(k => k.GetString()), Is.EqualTo(new[] { "device-credentials.key", "tls.key" }));
        Assert.That(Directory.Exists(Path.Combine(DataDir, SiteRestore.PendingName)));
        Assert.That(Directory.GetFiles(DataDir, ".*.tmp"), Is.Empty, "no upload or download left behind");
    }

    [Test]
    public async Task Backup_and_restore_need_a_signed_in_user()
    {
        using var anonymous = _app.Browser();
        Assert.That((await anonymous.PostAsJsonAsync("/api/backup", new { })).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That((await anonymous.PostAsync("/api/restore", Zip([1, 2, 3]))).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task Garbage_uploaded_as_a_backup_is_refused_with_the_reason()
    {
        using var browser = await _app.SignedInAsync();
        var response = await browser.PostAsync("/api/restore", Zip("PK not really a zip"u8.ToArray()));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        Assert.That((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString(), Does.Contain("not a backup archive"));
    }
}
