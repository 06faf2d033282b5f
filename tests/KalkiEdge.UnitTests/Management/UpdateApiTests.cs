using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using KalkiEdge.UnitTests.Appliance;

namespace KalkiEdge.UnitTests.Management;

/// <summary>POST /api/update (the dashboard's firmware upload) through the real HTTP pipeline with the real rauc.</summary>
public class UpdateApiTests : ManagementAppFixture
{
    private string Updates => Path.Combine(_dir, "data", "updates");

    private static ByteArrayContent Bundle(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return content;
    }

    private static async Task<JsonElement> AuditAsync(HttpClient browser) => await browser.GetFromJsonAsync<JsonElement>("/api/audit?limit=20");

    [Test]
    public async Task An_update_needs_a_signed_in_user()
    {
        using var anonymous = _app.Browser();
        var response = await anonymous.PostAsync("/api/update", Bundle("hsqs"u8.ToArray()));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(Directory.Exists(Updates) && Directory.EnumerateFileSystemEntries(Updates).Any(), Is.False, "nothing was stored");
    }

    [Test]
    public async Task A_file_that_is_no_bundle_is_refused_audited_and_not_kept()
    {
        using var browser = await _app.SignedInAsync();
        var response = await browser.PostAsync("/api/update?reboot=true", Bundle([0x50, 0x4b, 0x03, 0x04, 9, 9]));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString();
        Assert.That(error, Does.StartWith("the update was not installed; the running firmware is unchanged: the uploaded bundle: not a RAUC update bundle"));
        Assert.That(Directory.EnumerateFileSystemEntries(Updates), Is.Empty, "neither the upload nor a reboot request is left");
        var audit = (await AuditAsync(browser)).EnumerateArray().First(a => a.GetProperty("action").GetString() == "update-refused");
        Assert.That(audit.GetProperty("actor").GetString(), Is.EqualTo($"{ManagementApp.Admin} via dashboard"));
    }

    [Test]
    public async Task A_bundle_rauc_refuses_comes_back_with_rauc_s_reason_and_no_reboot()
    {
        using var browser = await _app.SignedInAsync();
        var bundle = await File.ReadAllBytesAsync(BundleInstallerTests.UnsignedSquashfs(_dir));
        var response = await browser.PostAsync("/api/update?reboot=true", Bundle(bundle));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString();
        Assert.That(error, Does.Contain("the uploaded bundle: refused by RAUC (exit "));
        Assert.That(error, Does.Not.Contain(Updates), "the appliance's paths stay inside");
        Assert.That(Directory.EnumerateFileSystemEntries(Updates), Is.Empty);
        Assert.That((await AuditAsync(browser)).EnumerateArray().Any(a => a.GetProperty("action").GetString() == "update-refused"
            && a.GetProperty("detail").GetString()!.Contains("refused by RAUC", StringComparison.Ordinal)));
    }
}
