namespace KalkiEdge.UnitTests.Fuzz;

/// <summary>
/// Deterministic input mutations for the in-process fuzzer: bit flips, interesting bytes and lengths, chunks
/// deleted, duplicated or spliced in from another seed, and tokens of the formats under test (YAML, chain language,
/// rule syntax, JSON). The same seed gives the same inputs, so a failure is reproduced by its seed and iteration.
/// </summary>
internal sealed class Mutator(Random random, IReadOnlyList<byte[]> seeds)
{
    private static readonly byte[][] Tokens =
    [
        .. new[]
        {
            "{", "}", "[", "]", "(", ")", ":", ",", ";", "\n", "\n  ", "- ", "&a ", "*a", "<<: *a", "!!str ", "!!binary ", "'", "\"", "\\",
            "\0", "\u001b[2J", "999999999999999999999", "-1", "0x", "1e400", "nan", "->", "$HOME_NET", "!$HOME_NET", "any", "[1:65535]",
            "content:\"", "|00 ff|", "pcre:\"/", "flow:", "sid:", "threshold:", "null", "true", "[[[[[[[[[[", "{\"a\":", "\"\\u0000\"",
            "99999999999999h", "0.0.0.0/0", "::/0", "ff:ff:ff:ff:ff:ff", "%eth0", "../", "/dev/zero",
        }.Select(t => System.Text.Encoding.UTF8.GetBytes(t)),
    ];

    private static readonly byte[] Interesting = [0, 1, 0x7F, 0x80, 0xFF, 0x0A, 0x20, 0x3A, 0x2D, 0x08, 0x06, 0x11, 0x2F, 0x29, 0x3C];

    public byte[] Next()
    {
        var data = new List<byte>(seeds[random.Next(seeds.Count)]);
        int rounds = 1 + random.Next(6);
        for (int i = 0; i < rounds; i++)
        {
            Mutate(data);
        }

        return [.. data];
    }

    private void Mutate(List<byte> data)
    {
        int at = data.Count == 0 ? 0 : random.Next(data.Count);
        switch (random.Next(9))
        {
            case 0 when data.Count > 0:
                data[at] ^= (byte)(1 << random.Next(8));
                break;
            case 1 when data.Count > 0:
                data[at] = Interesting[random.Next(Interesting.Length)];
                break;
            case 2 when data.Count > 1:
                // A 16-bit field set to a boundary value: lengths, ports, ethertypes.
                var value = (ushort)(random.Next(4) switch { 0 => 0, 1 => 0xFFFF, 2 => random.Next(64), _ => random.Next(0x10000) });
                data[Math.Min(at, data.Count - 2)] = (byte)(value >> 8);
                data[Math.Min(at, data.Count - 2) + 1] = (byte)value;
                break;
            case 3 when data.Count > 0:
                data.RemoveRange(at, Math.Min(data.Count - at, 1 + random.Next(32)));
                break;
            case 4 when data.Count > 0:
                var length = Math.Min(data.Count - at, 1 + random.Next(64));
                var chunk = data.GetRange(at, length);
                data.InsertRange(random.Next(data.Count + 1), Enumerable.Repeat(chunk, 1 + random.Next(4)).SelectMany(c => c));
                break;
            case 5:
                data.InsertRange(at, Tokens[random.Next(Tokens.Length)]);
                break;
            case 6:
                var other = seeds[random.Next(seeds.Count)];
                if (other.Length > 0)
                {
                    int from = random.Next(other.Length);
                    data.InsertRange(at, other.AsSpan(from, Math.Min(other.Length - from, 1 + random.Next(128))).ToArray());
                }

                break;
            case 7 when data.Count > 0:
                data.RemoveRange(at, data.Count - at); // truncated
                break;
            default:
                data.Insert(at, (byte)random.Next(256));
                break;
        }
    }
}
