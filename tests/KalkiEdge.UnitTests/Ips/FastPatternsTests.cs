using System.Text;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes.Ips;
using KalkiEdge.UnitTests.Ips.Peer;
using static KalkiEdge.UnitTests.Ips.IpsTestSupport;

namespace KalkiEdge.UnitTests.Ips;

public class FastPatternsTests
{
    private static ulong[] Scan(FastPatterns p, string text)
    {
        var found = new ulong[p.Words];
        p.Scan(Encoding.Latin1.GetBytes(text), found);
        return found;
    }

    [Test]
    public void Each_rule_is_kept_exactly_when_its_longest_content_occurs_in_any_case()
    {
        var (rules, _) = Parse("""
            alert tcp any any -> any 80 (content:"GET "; depth:4; content:"/config/getuser"; distance:0; nocase; sid:1;)
            alert tcp any any -> any 80 (content:"/shell?"; nocase; sid:2;)
            alert tcp any any -> any 80 (content:"he"; content:"she"; sid:3;)
            alert tcp any any -> any 80 (content:"hers"; sid:4;)
            alert tcp any any -> any 80 (flags:S; sid:5;)
            alert tcp any any -> any 80 (content:"|90 90 90|"; sid:6;)
            """);
        var p = FastPatterns.Build(rules)!;

        // Overlapping patterns (Aho-Corasick's failure links): "ushers" holds "she" and "hers", ending in the same bytes.
        var found = Scan(p, "GET /CONFIG/GetUser?x ushers \x90\x90\x90");
        Assert.Multiple(() =>
        {
            Assert.That(p.MayMatch(0, found), Is.True, "case folded");
            Assert.That(p.MayMatch(1, found), Is.False);
            Assert.That(p.MayMatch(2, found), Is.True);
            Assert.That(p.MayMatch(3, found), Is.True);
            Assert.That(p.MayMatch(4, found), Is.True, "a rule without content is never filtered");
            Assert.That(p.MayMatch(5, found), Is.True, "binary bytes");
        });

        var none = Scan(p, "GET /index.html HTTP/1.1\r\n\r\n");
        Assert.That(Enumerable.Range(0, 6).Where(r => p.MayMatch(r, none)), Is.EqualTo(new[] { 4 }));
    }

    [Test]
    public void Patterns_are_found_across_long_runs_of_bytes_no_pattern_begins_with()
    {
        var (rules, _) = Parse("""
            alert tcp any any -> any 80 (content:"aab"; sid:1;)
            alert tcp any any -> any 80 (content:"|90 90 90 90|"; sid:2;)
            alert tcp any any -> any 80 (content:"zq"; sid:3;)
            """);
        var p = FastPatterns.Build(rules)!;
        bool[] Found(byte[] data)
        {
            var found = new ulong[p.Words];
            p.Scan(data, found);
            return [.. Enumerable.Range(0, 3).Select(r => p.MayMatch(r, found))];
        }

        var zeros = new byte[5000];
        byte[] With(int at, string text)
        {
            var data = (byte[])zeros.Clone();
            System.Text.Encoding.Latin1.GetBytes(text).CopyTo(data, at);
            return data;
        }

        Assert.Multiple(() =>
        {
            Assert.That(Found(zeros), Is.EqualTo(new[] { false, false, false }));
            Assert.That(Found(With(0, "aab")), Is.EqualTo(new[] { true, false, false }), "at the start");
            Assert.That(Found(With(4997, "AaB")), Is.EqualTo(new[] { true, false, false }), "at the very end, case folded");
            Assert.That(Found(With(3000, "aaaab")), Is.EqualTo(new[] { true, false, false }), "after a failed partial match");
            Assert.That(Found(With(2000, "\x90\x90\x90\x00\x90\x90\x90\x90")), Is.EqualTo(new[] { false, true, false }), "a broken run, then a whole one");
            Assert.That(Found(With(4998, "zq")), Is.EqualTo(new[] { false, false, true }));
            Assert.That(Found(With(4999, "z")), Is.EqualTo(new[] { false, false, false }), "a pattern cut by the end of the data");
        });
    }

    [Test]
    public void Each_port_group_is_scanned_only_for_its_own_rules_patterns()
    {
        var (rules, _) = Parse("""
            alert tcp any any -> any 80 (content:"/shell?"; sid:1;)
            alert tcp any any -> any 1883 (content:"|00 01|#"; sid:2;)
            alert udp any any -> any 53 (content:"|07|duckdns"; sid:3;)
            alert ip any any -> any any (content:"|90 90 90 90|"; sid:4;)
            alert tcp any any -> any 23 (flags:S; sid:5;)
            """);
        var index = new RuleIndex(rules);
        Assert.Multiple(() =>
        {
            Assert.That(index.Tcp(80).Patterns!.PatternCount, Is.EqualTo(2), "/shell? and the ip rule's");
            Assert.That(index.Tcp(443).Patterns!.PatternCount, Is.EqualTo(1), "only the ip rule's");
            Assert.That(index.Udp(53).Patterns!.PatternCount, Is.EqualTo(2));
            Assert.That(index.Icmp.Patterns!.PatternCount, Is.EqualTo(1));
            Assert.That(index.Tcp(23).Rules.Select(n => index.Rules[n].Sid), Is.EqualTo(new long[] { 4, 5 }));
        });

        // Zero bytes begin the 1883 group's pattern only: on 443 they are skipped, and nothing is found.
        var found = new ulong[index.PatternWords];
        var https = index.Tcp(443).Patterns!;
        https.Scan(new byte[1400], found);
        Assert.That(https.MayMatch(3, found), Is.False);
        var mqtt = index.Tcp(1883).Patterns!;
        mqtt.Scan([.. new byte[100], 0, 1, (byte)'#'], found);
        Assert.That(mqtt.MayMatch(1, found), Is.True);
    }

    [Test]
    public void The_prefilter_never_hides_a_match_the_full_inspection_finds()
    {
        var (rules, _) = Parse(File.ReadAllText(Path.Combine(RepoPaths.Rules, "bench-50.rules")).Replace("$HOME_NET", "any").Replace("$EXTERNAL_NET", "any"));
        var p = FastPatterns.Build(rules)!;
        var random = new Random(7);
        var alphabet = Encoding.Latin1.GetBytes("GETPOSTgetpost /._?=&|%0123456789abcdefwxyzMQTTmqtt\x90\x10\x00\x01#HTTP/1. 401 cmd=etc/passwd../");
        var payload = new byte[300];
        var found = new ulong[p.Words];
        for (int i = 0; i < 3000; i++)
        {
            int length = random.Next(payload.Length);
            for (int j = 0; j < length; j++)
            {
                payload[j] = alphabet[random.Next(alphabet.Length)];
            }

            // Plant a rule's contents now and then, so matches are common enough to count.
            var planted = rules[random.Next(rules.Count)];
            var text = string.Join("", planted.Contents.Items.Select(c => Encoding.Latin1.GetString(c.Pattern)));
            var data = i % 3 == 0 ? Encoding.Latin1.GetBytes(text).Concat(payload[..length]).ToArray() : payload[..length];
            p.Scan(data, found);
            for (int r = 0; r < rules.Count; r++)
            {
                if (rules[r].Contents.Matches(data))
                {
                    Assert.That(p.MayMatch(r, found), Is.True, $"{rules[r]} on {Encoding.Latin1.GetString(data)}");
                }
            }
        }
    }

    [Test]
    public void Stream_buffers_are_reused_after_a_close_and_bounded_by_stream_memory()
    {
        var c = new PeerCapture();
        for (int i = 0; i < 20; i++)
        {
            var web = c.Conversation("203.0.113.66", (ushort)(41000 + i), "192.0.2.10", 80).Handshake();
            web.ClientSends("GET /a");
            web.ClientSends("/etc/passwd HTTP/1.1\r\n\r\n");
            web.ServerSends("HTTP/1.1 404 Not Found\r\n\r\n");
            web.Close();
        }

        // Blocks of 32 KiB (data and held map: 64 KiB) in 64 KiB: one stream direction at a time. Without the
        // release at close, the second conversation would find none and its split request would pass unseen.
        const string Streams = "stream-window: 16384, stream-out-of-order: 16384, stream-memory: 65536, flows: 1024";
        const string Rule = "alert tcp any any -> any 80 (content:\"/a/etc/passwd\"; sid:7;)\n";
        var h = Harness($"ips(rules: t.rules, {Streams})", ("t.rules", Rule));
        foreach (var p in c.Packets)
        {
            h.NowMicros = p.TimeMicros;
            h.Run(p.Bytes, Direction.ToDevice);
        }

        var ips = (IpsElement)h.Chain.Elements[0];
        Assert.Multiple(() =>
        {
            Assert.That(h.Sink.OfType(AlertTypes.Ips).Count(), Is.EqualTo(20), "every split request is reassembled");
            Assert.That(ips.StreamMemoryExhausted, Is.Zero, "closed sessions gave their buffers back");
        });

        // Sessions that never close hold theirs: beyond the bound, segments are inspected alone and counted.
        var open = new PeerCapture();
        for (int i = 0; i < 10; i++)
        {
            open.Conversation("203.0.113.67", (ushort)(42000 + i), "192.0.2.10", 80).Handshake().ClientSends("GET /a");
        }

        var bounded = Harness($"ips(rules: t.rules, {Streams})", ("t.rules", Rule));
        foreach (var p in open.Packets)
        {
            bounded.NowMicros = p.TimeMicros;
            bounded.Run(p.Bytes, Direction.ToDevice);
        }

        Assert.That(((IpsElement)bounded.Chain.Elements[0]).StreamMemoryExhausted, Is.EqualTo(9));
    }
}
