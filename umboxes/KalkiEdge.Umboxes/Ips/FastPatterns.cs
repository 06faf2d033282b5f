using System.Buffers;

namespace KalkiEdge.Umboxes.Ips;

/// <summary>
/// The multi-pattern prefilter of a rule set, as Suricata's MPM: each content rule's longest content is its fast
/// pattern, and one pass of an Aho-Corasick automaton over a buffer finds every fast pattern it holds. A rule whose
/// fast pattern is absent cannot match (all its contents must be present), so only the rules whose pattern was
/// found run their full content inspection. Patterns and input are folded to lower case, so a case-sensitive
/// pattern may be reported where only another case occurs: the full inspection decides, the prefilter only skips.
/// <para>
/// The automaton is a full transition table over byte classes (bytes that occur in no pattern share one class),
/// built once per rule set and shared by every element that uses it; a rule set too large for
/// <see cref="MaxTableEntries"/> gets no prefilter and every candidate rule is inspected, as before.
/// </para>
/// <para>
/// In the start state only a byte that begins some pattern leads anywhere, so the scan jumps from there to the next
/// such byte with a vectorised search (<see cref="SearchValues{T}"/>): payload that holds none of those bytes, the
/// common case once each port group has its own patterns (<see cref="RuleBucket"/>), costs a memory scan.
/// </para>
/// </summary>
public sealed class FastPatterns
{
    /// <summary>Bounds the transition table (4 bytes an entry): 16 MB at most.</summary>
    public const int MaxTableEntries = 4 << 20;

    private readonly int[] _patternOfRule;
    private readonly byte[] _classOf;
    private readonly int _classes;
    private readonly int[] _next;
    private readonly int[] _outputStart;
    private readonly int[] _outputs;

    // Bytes that leave the start state (the first bytes of patterns, in both cases), and the same as a lookup.
    private readonly SearchValues<byte> _starts;
    private readonly bool[] _isStart;

    private FastPatterns(int[] patternOfRule, int patterns, int classes, int[] next, int[] outputStart, int[] outputs, byte[] classOf)
    {
        _isStart = new bool[256];
        for (int b = 0; b < 256; b++)
        {
            _isStart[b] = next[classOf[b]] != 0;
        }

        _starts = SearchValues.Create([.. Enumerable.Range(0, 256).Where(b => _isStart[b]).Select(b => (byte)b)]);
        _patternOfRule = patternOfRule;
        PatternCount = patterns;
        _classes = classes;
        _next = next;
        _outputStart = outputStart;
        _outputs = outputs;
        _classOf = classOf;
    }

    /// <summary>Distinct fast patterns (a bit each in a <see cref="Scan"/> result).</summary>
    public int PatternCount { get; }

    /// <summary>Entries of the transition table (4 bytes each).</summary>
    public int TableEntries => _next.Length;

    /// <summary>Words of a scan result.</summary>
    public int Words => (PatternCount + 63) / 64;

    /// <summary>The rule's fast pattern number, or -1 for a rule without content (never filtered).</summary>
    public int PatternOf(int rule) => _patternOfRule[rule];

    /// <summary>The automaton for <paramref name="rules"/>, or null when it has no content rule or would be too large.</summary>
    public static FastPatterns? Build(IReadOnlyList<IpsRule> rules) => Build(rules, [.. Enumerable.Range(0, rules.Count)]);

    /// <summary>
    /// The automaton for the rules numbered <paramref name="members"/> in <paramref name="rules"/> (other rules get no
    /// pattern), or null when no member has content or the automaton would be too large.
    /// </summary>
    public static FastPatterns? Build(IReadOnlyList<IpsRule> rules, IReadOnlyList<int> members)
    {
        var patternOfRule = new int[rules.Count];
        Array.Fill(patternOfRule, -1);
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var patterns = new List<byte[]>();
        foreach (int r in members)
        {
            ContentMatch? longest = null;
            foreach (var c in rules[r].Contents.Items)
            {
                if (longest is null || c.Pattern.Length > longest.Pattern.Length)
                {
                    longest = c;
                }
            }

            if (longest is null)
            {
                continue;
            }

            var folded = Fold(longest.Pattern);
            var key = Convert.ToHexString(folded);
            if (!ids.TryGetValue(key, out int id))
            {
                id = patterns.Count;
                ids[key] = id;
                patterns.Add(folded);
            }

            patternOfRule[r] = id;
        }

        if (patterns.Count == 0)
        {
            return null;
        }

        // Byte classes: 0 for bytes in no pattern, then one per distinct (folded) byte.
        var classOf = new byte[256];
        int classes = 1;
        foreach (var p in patterns)
        {
            foreach (var b in p)
            {
                if (classOf[b] == 0)
                {
                    if (classes == 256)
                    {
                        return null;
                    }

                    classOf[b] = (byte)classes++;
                }
            }
        }

        for (int b = 'A'; b <= 'Z'; b++)
        {
            classOf[b] = classOf[b + 32];
        }

        long states = 1 + patterns.Sum(p => (long)p.Length);
        if (states * classes > MaxTableEntries)
        {
            return null;
        }

        // The trie (goto function), then failure links breadth first, folded into a full transition table.
        var next = new int[(int)states * classes];
        next.AsSpan().Fill(-1);
        var outputsOf = new List<List<int>> { new() };
        int count = 1;
        for (int id = 0; id < patterns.Count; id++)
        {
            int s = 0;
            foreach (var b in patterns[id])
            {
                ref int t = ref next[(s * classes) + classOf[b]];
                if (t < 0)
                {
                    t = count++;
                    outputsOf.Add([]);
                }

                s = t;
            }

            outputsOf[s].Add(id);
        }

        var fail = new int[count];
        var queue = new Queue<int>();
        for (int c = 0; c < classes; c++)
        {
            ref int t = ref next[c];
            if (t < 0)
            {
                t = 0;
            }
            else
            {
                fail[t] = 0;
                queue.Enqueue(t);
            }
        }

        while (queue.TryDequeue(out int s))
        {
            outputsOf[s].AddRange(outputsOf[fail[s]]);
            for (int c = 0; c < classes; c++)
            {
                ref int t = ref next[(s * classes) + c];
                if (t < 0)
                {
                    t = next[(fail[s] * classes) + c];
                }
                else
                {
                    fail[t] = next[(fail[s] * classes) + c];
                    queue.Enqueue(t);
                }
            }
        }

        var outputStart = new int[count + 1];
        var outputs = new List<int>();
        for (int s = 0; s < count; s++)
        {
            outputStart[s] = outputs.Count;
            outputs.AddRange(outputsOf[s].Distinct());
        }

        outputStart[count] = outputs.Count;

        // Entries hold the target state's row start (state × classes), complemented when that state ends a pattern:
        // the scan loop then needs no multiplication and tests one sign per byte.
        var table = new int[count * classes];
        for (int i = 0; i < table.Length; i++)
        {
            int target = next[i];
            table[i] = outputStart[target] < outputStart[target + 1] ? ~(target * classes) : target * classes;
        }

        return new FastPatterns(patternOfRule, patterns.Count, classes, table, outputStart, [.. outputs], classOf);
    }

    /// <summary>Sets in <paramref name="found"/> (cleared first; <see cref="Words"/> long) the bit of every fast pattern in <paramref name="data"/>.</summary>
    public void Scan(ReadOnlySpan<byte> data, Span<ulong> found)
    {
        found.Clear();
        var next = _next;
        var classOf = _classOf;
        var isStart = _isStart;
        int row = 0;
        int i = 0;
        while (i < data.Length)
        {
            if (row == 0 && !isStart[data[i]])
            {
                // Nothing to follow: jump to the next byte that can begin a pattern.
                int skip = data[i..].IndexOfAny(_starts);
                if (skip < 0)
                {
                    return;
                }

                i += skip;
            }

            row = next[row + classOf[data[i]]];
            if (row < 0)
            {
                row = ~row;
                Report(row / _classes, found);
            }

            i++;
        }
    }

    private void Report(int state, Span<ulong> found)
    {
        for (int i = _outputStart[state]; i < _outputStart[state + 1]; i++)
        {
            int id = _outputs[i];
            found[id >> 6] |= 1UL << (id & 63);
        }
    }

    /// <summary>True when rule <paramref name="rule"/> has no fast pattern or its pattern's bit is set in <paramref name="found"/>.</summary>
    public bool MayMatch(int rule, ReadOnlySpan<ulong> found)
    {
        int id = _patternOfRule[rule];
        return id < 0 || (found[id >> 6] & (1UL << (id & 63))) != 0;
    }

    private static byte[] Fold(ReadOnlySpan<byte> pattern)
    {
        var copy = pattern.ToArray();
        for (int i = 0; i < copy.Length; i++)
        {
            if (copy[i] is >= (byte)'A' and <= (byte)'Z')
            {
                copy[i] += 32;
            }
        }

        return copy;
    }
}
