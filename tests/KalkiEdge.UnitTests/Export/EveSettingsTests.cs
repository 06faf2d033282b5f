using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Export.Eve;
using KalkiEdge.Export.Syslog;

namespace KalkiEdge.UnitTests.Export;

public class EveSettingsTests
{
    [Test]
    public void A_full_section_is_read_with_sizes_and_the_file_relative_to_the_config()
    {
        var s = Parse("eve:\n  file: log/eve.json\n  rotate-size: 32MB\n  keep: 3\n  journal: true\n  syslog: {server: \"192.0.2.10:6514\", transport: tcp, facility: local5}\n", out var d);
        Assert.That(d.Items, Is.Empty);
        Assert.That(s!.File, Is.EqualTo(new EveFileOptions("/etc/kalki/log/eve.json") { RotateBytes = 32L << 20, Keep = 3 }));
        Assert.That(s.Journal, Is.True);
        Assert.That(s.Syslog, Is.EqualTo(new SyslogOptions("192.0.2.10", 6514, SyslogTransport.Tcp) { Facility = 21 }));
    }

    [Test]
    public void No_section_exports_nothing_beyond_the_journal()
    {
        var d = new DiagnosticBag();
        Assert.That(EveSettings.FromSection(null, "/", d), Is.SameAs(EveSettings.None));
    }

    [TestCase("eve:\n  file: eve.json\n  rotate-size: 12 parsecs\n", "kalki.yaml:3:16", "'rotate-size' must be a size like 64MB")]
    [TestCase("eve:\n  rotate-size: 1MB\n", "kalki.yaml:2:16", "'rotate-size' applies to the EVE file: set 'file' too")]
    [TestCase("eve:\n  file: eve.json\n  rotate: 1MB\n", "kalki.yaml:3:3", "rotate")]
    [TestCase("eve:\n  syslog: {server: 192.0.2.10}\n", "kalki.yaml:2:20", "'server' must be HOST:PORT")]
    [TestCase("eve:\n  syslog: {server: \"192.0.2.10:514\", transport: carrier-pigeon}\n", "kalki.yaml:2:", "'transport' must be one of udp, tcp, tls")]
    [TestCase("eve:\n  syslog: {server: \"192.0.2.10:514\", ca: /nonexistent.pem}\n", "kalki.yaml:2:", "'ca' applies only to 'transport: tls'")]
    [TestCase("eve:\n  syslog: {server: \"192.0.2.10:6514\", transport: tls, ca: /nonexistent.pem}\n", "kalki.yaml:2:", "CA file '/nonexistent.pem' does not exist")]
    [TestCase("eve: [file]\n", "kalki.yaml:1:6", "expected a map")]
    public void Errors_name_the_file_line_and_column(string yaml, string place, string message)
    {
        Assert.That(Parse(yaml, out var d), Is.Null);
        Assert.That(d.ToString(), Does.Contain(place).And.Contain(message));
    }

    private static EveSettings? Parse(string yaml, out DiagnosticBag diagnostics)
    {
        diagnostics = new DiagnosticBag();
        var root = YamlArgs.Parse(yaml, "kalki.yaml", diagnostics)!;
        var section = root.Entries.Single(e => e.Key.Text == "eve").Value;
        return EveSettings.FromSection(section, "/etc/kalki", diagnostics);
    }
}
