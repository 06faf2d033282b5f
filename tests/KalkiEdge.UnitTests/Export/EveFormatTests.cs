using System.Buffers;
using System.Text;
using System.Text.Json;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Export.Eve;
using KalkiEdge.Export.Events;

namespace KalkiEdge.UnitTests.Export;

public class EveFormatTests
{
    private static readonly FlowTuple Scan = new(Ip.FromV4(0xCB007142), Ip.FromV4(0xC000020D), 40000, 554, 6);

    [Test]
    public void An_ips_alert_is_a_suricata_alert_line_with_the_rule_identity_and_a_kalki_object()
    {
        var alert = new Alert(AlertTypes.Ips, "front-camera", AlertSource.Umbox, 1_796_413_579_123_456, "SCAN XMAS (FIN PSH URG)")
        {
            Element = "ips", Sid = 1000001, Rev = 2, ClassType = "attempted-recon", FrameNumber = 7, Count = 3,
            Flow = Scan, Interface = "eth1", Action = AlertAction.Blocked,
        };
        var line = Line(new AlertEvent(alert, new DeviceContext("dlink-camera", "Suspicious", "camera-suspicious")));
        var e = JsonDocument.Parse(line).RootElement;

        Assert.Multiple(() =>
        {
            Assert.That(e.GetProperty("timestamp").GetString(), Is.EqualTo("2026-12-04T19:46:19.123456+0000"));
            Assert.That(e.GetProperty("event_type").GetString(), Is.EqualTo("alert"));
            Assert.That(e.GetProperty("src_ip").GetString(), Is.EqualTo("203.0.113.66"));
            Assert.That(e.GetProperty("src_port").GetInt32(), Is.EqualTo(40000));
            Assert.That(e.GetProperty("dest_ip").GetString(), Is.EqualTo("192.0.2.13"));
            Assert.That(e.GetProperty("dest_port").GetInt32(), Is.EqualTo(554));
            Assert.That(e.GetProperty("proto").GetString(), Is.EqualTo("TCP"));
            Assert.That(e.GetProperty("in_iface").GetString(), Is.EqualTo("eth1"));
            Assert.That(e.GetProperty("flow_id").GetInt64(), Is.EqualTo(Scan.Id));
            Assert.That(e.GetProperty("pcap_cnt").GetInt64(), Is.EqualTo(7));
            var a = e.GetProperty("alert");
            Assert.That(a.GetProperty("action").GetString(), Is.EqualTo("blocked"));
            Assert.That(a.GetProperty("gid").GetInt32(), Is.EqualTo(1));
            Assert.That(a.GetProperty("signature_id").GetInt64(), Is.EqualTo(1000001));
            Assert.That(a.GetProperty("rev").GetInt32(), Is.EqualTo(2));
            Assert.That(a.GetProperty("signature").GetString(), Is.EqualTo("SCAN XMAS (FIN PSH URG)"));
            Assert.That(a.GetProperty("category").GetString(), Is.EqualTo("Attempted Information Leak"));
            Assert.That(a.GetProperty("severity").GetInt32(), Is.EqualTo(2));
            var k = e.GetProperty("kalki");
            Assert.That(k.GetProperty("device").GetString(), Is.EqualTo("front-camera"));
            Assert.That(k.GetProperty("pack").GetString(), Is.EqualTo("dlink-camera"));
            Assert.That(k.GetProperty("state").GetString(), Is.EqualTo("Suspicious"));
            Assert.That(k.GetProperty("chain").GetString(), Is.EqualTo("camera-suspicious"));
            Assert.That(k.GetProperty("element").GetString(), Is.EqualTo("ips"));
            Assert.That(k.GetProperty("count").GetInt32(), Is.EqualTo(3));
        });
        Assert.That(line, Does.EndWith("}\n").And.Not.Contain("\n{"), "one object, one line");
    }

    [Test]
    public void Alerts_without_a_packet_have_no_addresses_and_no_action_and_the_appliance_gid()
    {
        var alert = new Alert(AlertTypes.AttestationFailure, "cam", AlertSource.Platform, 1, "measurement mismatch");
        var e = JsonDocument.Parse(Line(new AlertEvent(alert, default))).RootElement;
        Assert.That(e.TryGetProperty("src_ip", out _) || e.TryGetProperty("flow_id", out _) || e.GetProperty("alert").TryGetProperty("action", out _), Is.False);
        Assert.That(e.GetProperty("alert").GetProperty("gid").GetInt32(), Is.EqualTo(AlertSignatures.KalkiGid));
        Assert.That(e.GetProperty("alert").GetProperty("severity").GetInt32(), Is.EqualTo(1));
        Assert.That(e.GetProperty("alert").GetProperty("category").GetString(), Is.EqualTo("Appliance integrity failure"));
    }

    [Test]
    public void A_transition_is_a_kalki_transition_event_with_its_stages()
    {
        var t = new TransitionEvent("cam", "Normal", "Attack", "logins", "brute-force", "camera-attack", "firewall(default: drop)", false, 100, 150, 160, 190);
        var e = JsonDocument.Parse(Line(new TransitionOccurred(t, new DeviceContext("dlink-camera", "Attack", "camera-attack")))).RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(e.GetProperty("event_type").GetString(), Is.EqualTo("kalki_transition"));
            var k = e.GetProperty("kalki");
            Assert.That(k.GetProperty("from").GetString(), Is.EqualTo("Normal"));
            Assert.That(k.GetProperty("to").GetString(), Is.EqualTo("Attack"));
            Assert.That(k.GetProperty("state").GetString(), Is.EqualTo("Attack"));
            Assert.That(k.GetProperty("chain").GetString(), Is.EqualTo("camera-attack"));
            Assert.That(k.GetProperty("reaction_us").GetInt64(), Is.EqualTo(90));
            Assert.That(k.GetProperty("alert_type").GetString(), Is.EqualTo("brute-force"));
            Assert.That(k.GetProperty("fail_closed").GetBoolean(), Is.False);
            Assert.That(k.GetProperty("stages").GetProperty("trigger").GetInt64(), Is.EqualTo(150));
        });
    }

    [Test]
    public void Control_characters_are_escaped_and_huge_texts_are_cut_so_a_line_stays_bounded()
    {
        var hostile = "evil\n{\"event_type\":\"alert\"}\u001b[31m\0\r" + new string('x', 1_000_000) + "\ud800";
        var alert = new Alert("brute\nforce", "dev\u0007" + new string('d', 10_000), AlertSource.Umbox, 1, hostile)
        {
            Element = "e\u0000", Interface = "eth\u001b0",
        };
        var line = Line(new AlertEvent(alert, new DeviceContext("p\n", "s\t", new string('c', 100_000))));

        Assert.That(line.Length, Is.LessThan(8 * 1024));
        Assert.That(line.TrimEnd('\n'), Does.Not.Contain("\n").And.Not.Contain("\r").And.Not.Contain("\u001b").And.Not.Contain("\0"));
        var e = JsonDocument.Parse(line).RootElement;
        var info = e.GetProperty("kalki").GetProperty("info").GetString()!;
        Assert.That(info, Does.StartWith("evil\n{\"event_type\":\"alert\"}\u001b[31m").And.EndWith("…[cut]"));
        Assert.That(info, Has.Length.EqualTo(EveFormat.MaxInfoChars));
        Assert.That(e.GetProperty("kalki").GetProperty("device").GetString(), Has.Length.EqualTo(EveFormat.MaxNameChars));
        Assert.That(e.GetProperty("event_type").GetString(), Is.EqualTo("alert"), "an injected line is data inside a string");
    }

    [Test]
    public void A_lone_surrogate_becomes_a_replacement_character_instead_of_failing_the_line()
    {
        var alert = new Alert("t", "dev", AlertSource.Umbox, 1, "a\ud800b\udc00c😀");
        var info = JsonDocument.Parse(Line(new AlertEvent(alert, default))).RootElement.GetProperty("kalki").GetProperty("info").GetString();
        Assert.That(info, Is.EqualTo("a\ufffdb\ufffdc😀"));
    }

    [Test]
    public void Every_built_in_alert_type_has_a_fixed_signature()
    {
        foreach (var type in AlertTypes.BuiltIn)
        {
            Assert.That(AlertSignatures.Covers(type), Is.True, type);
        }

        var sids = AlertTypes.BuiltIn.Where(t => t != AlertTypes.Ips)
            .Select(t => AlertSignatures.For(new Alert(t, "d", AlertSource.Platform, 0, "")).SignatureId).ToList();
        Assert.That(sids, Is.Unique);
        var pack = AlertSignatures.For(new Alert("high-temperature", "d", AlertSource.Telemetry, 0, ""));
        Assert.That((pack.SignatureId, pack.Signature), Is.EqualTo((AlertSignatures.PackAlertSid, "KALKI telemetry alert high-temperature")));
    }

    [Test]
    public void Timestamps_use_suricatas_format_with_microseconds_and_a_numeric_offset()
    {
        Assert.That(EveTimestamp.Format(0), Is.EqualTo("1970-01-01T00:00:00.000000+0000"));
        Assert.That(EveTimestamp.Format(1_796_413_579_000_001), Is.EqualTo("2026-12-04T19:46:19.000001+0000"));
    }

    [Test]
    public void An_events_line_is_formatted_once_for_every_sink_and_a_copy_made_with_with_formats_its_own()
    {
        var alert = new Alert(AlertTypes.PortScan, "cam", AlertSource.Umbox, 1_796_413_579_000_000, "scan") { Count = 4 };
        var e = new AlertEvent(alert, new DeviceContext("dlink-camera", "Normal", "camera-normal"));
        var first = e.EveLine;
        Assert.That(e.EveLine, Is.SameAs(first), "formatted once, then shared");
        Assert.That(Encoding.UTF8.GetString(first), Is.EqualTo(Line(e)).And.EndsWith("}\n"));

        var moved = e with { Context = new DeviceContext("dlink-camera", "Suspicious", "camera-strict") };
        Assert.That(Encoding.UTF8.GetString(moved.EveLine), Does.Contain("\"state\":\"Suspicious\"").And.EqualTo(Line(moved)));
        Assert.That(e, Is.EqualTo(new AlertEvent(alert, e.Context)), "the cached line is not part of the event's value");
        Assert.That(e, Is.Not.EqualTo(moved));
    }

    internal static string Line(ApplianceEvent e)
    {
        var buffer = new ArrayBufferWriter<byte>();
        EveFormat.WriteLine(e, buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
