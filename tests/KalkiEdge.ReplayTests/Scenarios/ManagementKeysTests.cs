using System.Text;

namespace KalkiEdge.ReplayTests.Scenarios;

/// <summary>
/// The management server's session and antiforgery keys live in memory only: `kalki-edge run` makes and stores no
/// data-protection key (ASP.NET Core's default key ring would write one under ~/.aspnet at every start), and the
/// NativeAOT binary has that key ring (and the OpenAPI generator, whose document is made at build time) left out.
/// </summary>
public class ManagementKeysTests
{
    [Test]
    public void Run_stores_no_data_protection_key_in_the_home_directory()
    {
        using var home = new TempDir();
        using (var appliance = RunningAppliance.Start(new Dictionary<string, string> { ["HOME"] = home.Path }, a => a.Printed("management server on http://")))
        {
            Assert.That(appliance.Health().GetProperty("status").GetString(), Is.Not.Null, "the management server is up");
        }

        Assert.That(Directory.Exists(Path.Combine(home.Path, ".aspnet")), Is.False, "a data-protection key was made and stored");
    }

    [TestCase("XmlKeyManager")]
    [TestCase("DataProtectionHostedService")]
    [TestCase("Microsoft.OpenApi")]
    [TestCase("OpenApiDocumentService")]
    public void The_NativeAOT_binary_has_not_compiled_in(string name)
    {
        Assume.That(Firmware.Binary, Is.Not.Null, $"checks the published binary: set {Firmware.Variable} (make test sets it to the NativeAOT build)");
        var binary = File.ReadAllBytes(Firmware.Binary!);
        Assert.That(binary.AsSpan().IndexOf(Encoding.ASCII.GetBytes(name)), Is.EqualTo(-1), $"{name} is compiled into {Firmware.Binary}");
    }
}
