using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes.Ips;
using KalkiEdge.UnitTests.Support;
using static KalkiEdge.UnitTests.Ips.IpsTestSupport;

namespace KalkiEdge.UnitTests.Ips;

public class RuleParserTests
{
    private static UInt128 A(string ip) => Ip.TryParse(ip, out var v) ? v : throw new ArgumentException(ip);

    [Test]
    public void Parses_a_rule_with_every_supported_option()
    {
        var r = Single("drop tcp 192.0.2.0/24 any -> 198.51.100.7 [80,8000:8100] (msg:\"x \\\"quoted\\\" \\; y\"; flow:to_server,established; " +
                       "content:\"GET \"; depth:4; offset:0; content:\"|2f 61|DMIN\"; nocase; distance:0; within:20; fast_pattern; " +
                       "flags:PA+,CE; threshold: type limit, track by_src, count 3, seconds 60; classtype:attempted-admin; " +
                       "reference:url,example.org; metadata:created 2026; sid:42; rev:7;)");
        Assert.Multiple(() =>
        {
            Assert.That(r.Action, Is.EqualTo(RuleAction.Drop));
            Assert.That(r.Protocol, Is.EqualTo(RuleProtocol.Tcp));
            Assert.That(r.Sid, Is.EqualTo(42));
            Assert.That(r.Rev, Is.EqualTo(7));
            Assert.That(r.Message, Is.EqualTo("x \"quoted\" ; y"));
            Assert.That(r.ClassType, Is.EqualTo("attempted-admin"));
            Assert.That(r.Flow, Is.EqualTo(new FlowCondition(true, false, true, false)));
            Assert.That(r.Flags, Is.EqualTo(new TcpFlagsCondition((byte)(TcpFlags.Psh | TcpFlags.Ack), FlagsModifier.Plus, (byte)(TcpFlags.Cwr | TcpFlags.Ece))));
            Assert.That(r.Threshold, Is.EqualTo(new ThresholdSpec(ThresholdType.Limit, ThresholdTrack.BySrc, 3, 60_000_000)));
            Assert.That(r.Contents.Items, Has.Count.EqualTo(2));
            Assert.That(r.Contents.Items[0].Pattern.ToArray(), Is.EqualTo("GET "u8.ToArray()));
            Assert.That(r.Contents.Items[0].Depth, Is.EqualTo(4));
            Assert.That(r.Contents.Items[1].Pattern.ToArray(), Is.EqualTo("/admin"u8.ToArray()), "hex run decoded, nocase folds to lower case");
            Assert.That(r.Contents.Items[1].NoCase, Is.True);
            Assert.That(r.Contents.Items[1].Distance, Is.EqualTo(0));
            Assert.That(r.Contents.Items[1].Within, Is.EqualTo(20));
            Assert.That(r.Source.Contains(A("192.0.2.77")) && !r.Source.Contains(A("192.0.3.1")), Is.True);
            Assert.That(r.DestinationPorts.Contains(80) && r.DestinationPorts.Contains(8050) && !r.DestinationPorts.Contains(81), Is.True);
            Assert.That(r.Origin, Is.EqualTo("t.rules:1"));
        });
    }

    [TestCase("any", "203.0.113.9", true)]
    [TestCase("203.0.113.9", "203.0.113.9", true)]
    [TestCase("203.0.113.9", "203.0.113.8", false)]
    [TestCase("203.0.113.0/24", "203.0.113.200", true)]
    [TestCase("!203.0.113.0/24", "203.0.113.200", false)]
    [TestCase("!203.0.113.0/24", "198.51.100.1", true)]
    [TestCase("[192.0.2.1,198.51.100.0/24]", "198.51.100.5", true)]
    [TestCase("[192.0.2.1, 198.51.100.0/24]", "192.0.2.2", false)]
    [TestCase("[203.0.113.0/24,!203.0.113.5]", "203.0.113.5", false)]
    [TestCase("[203.0.113.0/24,!203.0.113.5]", "203.0.113.6", true)]
    [TestCase("![192.0.2.1,192.0.2.2]", "192.0.2.2", false)]
    [TestCase("![192.0.2.1,192.0.2.2]", "192.0.2.3", true)]
    [TestCase("[any,!192.0.2.1]", "192.0.2.1", false)]
    [TestCase("[[192.0.2.1],[192.0.2.2]]", "192.0.2.2", true)]
    [TestCase("$HOME_NET", "198.51.100.1", true)]
    [TestCase("$EXTERNAL_NET", "198.51.100.1", true)]
    public void Address_fields(string field, string ip, bool expected)
    {
        var r = Single($"alert ip {field} any -> any any (sid:1;)");
        Assert.That(r.Source.Contains(A(ip)), Is.EqualTo(expected));
    }

    [Test]
    public void Home_net_sets_HOME_NET_and_makes_EXTERNAL_NET_its_complement()
    {
        var r = Single("alert ip $EXTERNAL_NET any -> $HOME_NET any (sid:1;)", homeNet: "[192.0.2.0/24,198.51.100.0/24]");
        Assert.Multiple(() =>
        {
            Assert.That(r.Destination.Contains(A("198.51.100.3")), Is.True);
            Assert.That(r.Destination.Contains(A("203.0.113.3")), Is.False);
            Assert.That(r.Source.Contains(A("203.0.113.3")), Is.True);
            Assert.That(r.Source.Contains(A("192.0.2.3")), Is.False);
        });
    }

    [TestCase("any", 1, true)]
    [TestCase("80", 80, true)]
    [TestCase("80", 81, false)]
    [TestCase("1000:2000", 1500, true)]
    [TestCase("1000:2000", 2001, false)]
    [TestCase(":1023", 0, true)]
    [TestCase("1024:", 65535, true)]
    [TestCase("1024:", 1023, false)]
    [TestCase("!80", 80, false)]
    [TestCase("!80", 443, true)]
    [TestCase("[80,443,8000:8080]", 8080, true)]
    [TestCase("[80,443,8000:8080]", 22, false)]
    [TestCase("[1:100,!53]", 53, false)]
    [TestCase("![22,23]", 23, false)]
    [TestCase("![22,23]", 24, true)]
    public void Port_fields(string field, int port, bool expected)
    {
        var r = Single($"alert tcp any any -> any {field} (sid:1;)");
        Assert.That(r.DestinationPorts.Contains((ushort)port), Is.EqualTo(expected));
    }

    [Test]
    public void Bidirectional_rules_match_either_way_round()
    {
        var r = Single("alert tcp 192.0.2.1 any <> 198.51.100.2 80 (sid:1;)");
        Assert.Multiple(() =>
        {
            Assert.That(r.Bidirectional, Is.True);
            Assert.That(r.MatchesEndpoints(A("192.0.2.1"), 5000, A("198.51.100.2"), 80), Is.True);
            Assert.That(r.MatchesEndpoints(A("198.51.100.2"), 80, A("192.0.2.1"), 5000), Is.True);
            Assert.That(r.MatchesEndpoints(A("198.51.100.2"), 81, A("192.0.2.1"), 5000), Is.False);
        });
    }

    [Test]
    public void One_way_rules_do_not_match_the_reverse_direction()
    {
        var r = Single("alert tcp 192.0.2.1 any -> 198.51.100.2 80 (sid:1;)");
        Assert.That(r.MatchesEndpoints(A("198.51.100.2"), 80, A("192.0.2.1"), 5000), Is.False);
    }

    [Test]
    public void Continuation_lines_comments_and_blank_lines()
    {
        var (rules, errors) = Parse("# comment\n\nalert tcp any any -> any 80 \\\n  (msg:\"split\"; \\\n   sid:5;)\n  # indented comment\nalert udp any any -> any 53 (sid:6;)\n");
        Assert.That(errors, Is.Empty);
        Assert.That(rules.Select(r => (r.Sid, r.At.Line)), Is.EqualTo(new[] { (5L, 3), (6L, 7) }));
    }

    [TestCase("S", "S")]
    [TestCase("SA", "AS")]
    [TestCase("FPU,12", "FPU")]
    [TestCase("0", "")]
    [TestCase("+S", "S")]
    [TestCase("S+", "S")]
    [TestCase("*FR", "FR")]
    [TestCase("!A", "A")]
    [TestCase("CE", "CE")]
    public void Flags_values_parse(string value, string expectedLetters)
    {
        var r = Single($"alert tcp any any -> any any (flags:{value}; sid:1;)");
        byte expected = 0;
        foreach (var c in expectedLetters)
        {
            expected |= c switch { 'F' => 1, 'S' => 2, 'R' => 4, 'P' => 8, 'A' => 16, 'U' => 32, 'E' => 64, _ => 128 };
        }

        Assert.That(r.Flags!.Flags, Is.EqualTo(expected));
    }

    [Test]
    public void Flow_keywords_and_aliases()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Single("alert tcp any any -> any any (flow:from_client; sid:1;)").Flow, Is.EqualTo(new FlowCondition(true, false, false, false)));
            Assert.That(Single("alert tcp any any -> any any (flow:from_server,established; sid:1;)").Flow, Is.EqualTo(new FlowCondition(false, true, true, false)));
            Assert.That(Single("alert udp any any -> any any (flow:not_established, stateless; sid:1;)").Flow, Is.EqualTo(new FlowCondition(false, false, false, true)));
        });
    }

    [TestCase("type threshold, track by_dst, count 5, seconds 10", ThresholdType.Threshold, ThresholdTrack.ByDst, 5, 10)]
    [TestCase("track by_rule,type both,seconds 1,count 2", ThresholdType.Both, ThresholdTrack.ByRule, 2, 1)]
    public void Threshold_parts_in_any_order(string value, ThresholdType type, ThresholdTrack track, int count, int seconds)
    {
        var r = Single($"alert tcp any any -> any any (threshold:{value}; sid:1;)");
        Assert.That(r.Threshold, Is.EqualTo(new ThresholdSpec(type, track, count, seconds * 1_000_000L)));
    }

    [TestCase("pass tcp any any -> any any (sid:1;)", 1, "unsupported action 'pass'")]
    [TestCase("alert sctp any any -> any any (sid:1;)", 7, "unsupported protocol 'sctp'")]
    [TestCase("alert tcp 300.1.1.1 any -> any any (sid:1;)", 11, "'300.1.1.1' is not an address")]
    [TestCase("alert tcp any 70000 -> any any (sid:1;)", 15, "'70000' is not a port")]
    [TestCase("alert tcp any 90:80 -> any any (sid:1;)", 15, "'90:80' is not a port")]
    [TestCase("alert tcp any any <- any any (sid:1;)", 19, "direction must be '->' or '<>'")]
    [TestCase("alert tcp any any -> any (sid:1;)", 1, "must have 7 fields")]
    [TestCase("alert tcp any any -> any any sid:1;", 1, "rule has no options")]
    [TestCase("alert tcp any any -> any any (sid:1;", 36, "must end with ')'")]
    [TestCase("alert tcp any any -> any any (msg:\"x\";)", 1, "rule has no 'sid'")]
    [TestCase("alert tcp any any -> any any (sid:1; sid:2;)", 38, "'sid' is given twice")]
    [TestCase("alert tcp any any -> any any (sid:0;)", 35, "'sid' must be a whole number")]
    [TestCase("alert tcp any any -> any any (pcre:\"/x/\"; sid:1;)", 31, "unsupported rule option 'pcre'")]
    [TestCase("alert tcp any any -> any any (nocase; sid:1;)", 31, "'nocase' must follow a 'content'")]
    [TestCase("alert tcp any any -> any any (content:\"a\"; nocase; nocase; sid:1;)", 52, "'nocase' is given twice")]
    [TestCase("alert tcp any any -> any any (content:\"abcd\"; depth:2; sid:1;)", 31, "depth 2 is shorter than the content")]
    [TestCase("alert tcp any any -> any any (content:\"a\"; content:\"bcd\"; within:2; sid:1;)", 44, "within 2 is shorter")]
    [TestCase("alert tcp any any -> any any (content:\"a\"; content:\"b\"; offset:1; distance:0; sid:1;)", 44, "cannot mix offset/depth with distance/within")]
    [TestCase("alert tcp any any -> any any (content:\"a\"; distance:1; sid:1;)", 31, "need a previous content")]
    [TestCase("alert tcp any any -> any any (content:\"|4g|\"; sid:1;)", 39, "bad hex run")]
    [TestCase("alert tcp any any -> any any (content:\"a\"b\"c\"; sid:1;)", 39, "unescaped '\"'")]
    [TestCase("alert tcp any any -> any any (content:\"a\\q\"; sid:1;)", 39, "invalid escape")]
    [TestCase("alert tcp any any -> any any (content:\"\"; sid:1;)", 39, "empty content")]
    [TestCase("alert tcp any any -> any any (content:abc; sid:1;)", 39, "expected a quoted string")]
    [TestCase("alert tcp any any -> any any (content:!\"abc\"; sid:1;)", 39, "negated content")]
    [TestCase("alert tcp any any -> any any (content:\"|41|\"x\"; sid:1;)", 31, "unterminated quoted string")]
    [TestCase("alert tcp any any -> any any (msg:\"open; sid:1;)", 31, "unterminated quoted string")]
    [TestCase("alert tcp any any -> any any (flags:SX; sid:1;)", 37, "unknown flag 'X'")]
    [TestCase("alert tcp any any -> any any (flags:+*S; sid:1;)", 37, "only one modifier")]
    [TestCase("alert tcp any any -> any any (flags:0S; sid:1;)", 37, "cannot be combined")]
    [TestCase("alert udp any any -> any any (flags:S; sid:1;)", 31, "applies to TCP only")]
    [TestCase("alert tcp any any -> any any (flow:sideways; sid:1;)", 36, "flow: unsupported 'sideways'")]
    [TestCase("alert tcp any any -> any any (flow:to_server,to_client; sid:1;)", 36, "contradictory")]
    [TestCase("alert tcp any any -> any any (threshold:type limit, count 1; sid:1;)", 41, "threshold needs")]
    [TestCase("alert tcp any any -> any any (threshold:type often, track by_src, count 1, seconds 1; sid:1;)", 41, "type must be limit")]
    [TestCase("alert tcp any any -> any any (threshold:type limit, track by_src, count 0, seconds 1; sid:1;)", 41, "threshold needs")]
    [TestCase("alert icmp any 8 -> any any (sid:1;)", 16, "ports must be 'any' for protocol icmp")]
    [TestCase("alert tcp !any any -> any any (sid:1;)", 11, "'!any'")]
    [TestCase("alert tcp ![1.2.3.4,!5.6.7.8] any -> any any (sid:1;)", 11, "nested negation")]
    [TestCase("alert tcp $DNS_SERVERS any -> any any (sid:1;)", 11, "unknown address variable '$DNS_SERVERS'")]
    [TestCase("alert tcp any $HTTP_PORTS -> any any (sid:1;)", 15, "port variables")]
    [TestCase("alert tcp [1.2.3.4 any -> any any (sid:1;)", 1, "must have 7 fields")]
    [TestCase("alert tcp any any -> any any (sid:1;; msg:\"x\";)", 37, "empty rule option")]
    [TestCase("alert tcp any any -> any any (reference; sid:1;)", 31, "'reference' needs a value")]
    [TestCase("alert tcp any any -> any any (classtype:two words; sid:1;)", 41, "must be a single word")]
    public void Rejects_malformed_rules_with_line_and_column(string rule, int column, string message)
    {
        var error = SingleError("\n" + rule);
        Assert.Multiple(() =>
        {
            Assert.That(error.Message, Does.Contain(message));
            Assert.That(error.File, Is.EqualTo("t.rules"));
            Assert.That(error.Line, Is.EqualTo(2));
            Assert.That(error.Column, Is.EqualTo(column));
        });
    }

    [Test]
    public void Reports_every_error_in_a_file_at_once()
    {
        var (rules, errors) = Parse(
            "alert tcp any any -> any 80 (sid:1;)\n" +
            "alert tcp any any -> any 80 (bogus; sid:2;)\n" +
            "# fine\n" +
            "alert tcp any any -> any 80 (sid:3;)\n" +
            "alert tcp any 99999 -> any 80 (flags:Q; sid:4;)\n" +
            "alert tcp any any -> any 80 (content:\"x\"; \\\n   depth:0; sid:5;)\n");
        Assert.That(rules.Select(r => r.Sid), Is.EqualTo(new[] { 1L, 3L }), "only valid rules are kept");
        Assert.That(errors.Select(e => (e.Line, e.Column)), Is.EqualTo(new[] { (2, 30), (5, 15), (5, 38), (7, 10) }));
        Assert.That(errors[1].Message, Does.Contain("99999"));
        Assert.That(errors[2].Message, Does.Contain("unknown flag 'Q'"));
        Assert.That(errors[3].Message, Does.Contain("'depth' must be a whole number from 1"));
    }

    [TestCase("xmas-scan.rules")]
    [TestCase("camera.rules")]
    [TestCase("iot-common.rules")]
    [TestCase("bench-50.rules")]
    public void Shipped_rule_files_parse_cleanly(string file)
    {
        var (rules, errors) = Parse(File.ReadAllText(Path.Combine(RepoPaths.Rules, file)));
        Assert.That(errors, Is.Empty, string.Join("\n", errors));
        Assert.That(rules, Is.Not.Empty);
        Assert.That(rules.Select(r => r.Sid).Distinct().Count(), Is.EqualTo(rules.Count));
        if (file == "bench-50.rules")
        {
            Assert.That(rules, Has.Count.EqualTo(50));
        }
    }
}
