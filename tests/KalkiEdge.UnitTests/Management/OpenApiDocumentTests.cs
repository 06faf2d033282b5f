using System.Net;
using KalkiEdge.Management.OpenApi;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace KalkiEdge.UnitTests.Management;

/// <summary>
/// The firmware serves a checked-in OpenAPI document (it leaves the generator out of the binary); here the
/// generator, Microsoft.AspNetCore.OpenApi, makes the document from the real server's endpoints, and the checked-in
/// copy must be exactly it.
/// </summary>
public class OpenApiDocumentTests : ManagementAppFixture
{
    /// <summary>Set to 1 (by <c>make openapi-doc</c>) to write the document instead of comparing it.</summary>
    private const string WriteVariable = "KALKI_WRITE_OPENAPI";

    /// <summary>Where the generator serves its document in these tests, beside the firmware's.</summary>
    private const string GeneratedPath = "/openapi-generated/v1.json";

    private static string CheckedIn => Path.Combine(RepoPaths.Root, "firmware", "KalkiEdge.Management", "OpenApi", "v1.json");

    private protected override Task<ManagementApp> Start(string dir) => ManagementApp.StartAsync(dir,
        services => services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
        {
            // The generator names the address the request came to, a test's random port: the document is served
            // by every appliance at its own address, so it names none (OpenAPI: relative to where it was fetched).
            document.Servers = [];
            return Task.CompletedTask;
        })),
        app => app.MapOpenApi(GeneratedPath.Replace("v1", "{documentName}", StringComparison.Ordinal)));

    [Test]
    public async Task The_checked_in_document_is_the_one_the_endpoints_make()
    {
        using var browser = await _app.SignedInAsync();
        var generated = await browser.GetStringAsync(GeneratedPath);
        Assert.That(generated, Does.Contain("\"/api/devices/{name}\"").And.Contain("DeviceSummary"), "the generator saw the API");
        if (Environment.GetEnvironmentVariable(WriteVariable) == "1")
        {
            File.WriteAllText(CheckedIn, generated);
        }

        Assert.That(File.Exists(CheckedIn) ? File.ReadAllText(CheckedIn) : "", Is.EqualTo(generated),
            "firmware/KalkiEdge.Management/OpenApi/v1.json is out of date with the API's endpoints: run `make openapi-doc`, review the difference and commit it");
    }

    [Test]
    public async Task The_firmware_serves_the_checked_in_document_to_signed_in_users_only()
    {
        using var anonymous = _app.Browser();
        Assert.That((await anonymous.GetAsync(OpenApiDocument.Path)).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));

        using var browser = await _app.SignedInAsync();
        using var served = await browser.GetAsync(OpenApiDocument.Path);
        Assert.That(served.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(served.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        Assert.That(await served.Content.ReadAsStringAsync(), Is.EqualTo(File.ReadAllText(CheckedIn)), "the compiled-in copy is the checked-in file");
    }
}
