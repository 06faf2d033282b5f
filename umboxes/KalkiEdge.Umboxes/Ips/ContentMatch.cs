using System.Text;

namespace KalkiEdge.Umboxes.Ips;

/// <summary>
/// One <c>content</c> with its modifiers. Absolute contents search <c>payload[offset .. offset+depth]</c>;
/// relative ones (<c>distance</c>/<c>within</c>) search from the end of the previous content's match:
/// <c>[prevEnd + distance .. prevEnd + distance + within]</c>, exactly as Suricata's content inspection does.
/// </summary>
public sealed class ContentMatch
{
    private readonly byte[] _pattern;
    private readonly byte _firstLower;
    private readonly byte _firstUpper;

    // nocase on a pattern without letters is an exact search (and takes the faster path).
    private readonly bool _foldCase;

    public ContentMatch(byte[] pattern, bool noCase, int offset, int? depth, int? distance, int? within)
    {
        NoCase = noCase;
        _pattern = noCase ? Lower(pattern) : pattern;
        _firstLower = _pattern[0];
        _firstUpper = noCase ? ToUpper(_pattern[0]) : _pattern[0];
        _foldCase = noCase && Array.Exists(_pattern, static b => b is >= (byte)'a' and <= (byte)'z');
        Offset = offset;
        Depth = depth;
        Distance = distance;
        Within = within;
    }

    public ReadOnlySpan<byte> Pattern => _pattern;

    public bool NoCase { get; }

    public int Offset { get; }

    public int? Depth { get; }

    public int? Distance { get; }

    public int? Within { get; }

    public bool IsRelative => Distance.HasValue || Within.HasValue;

    /// <summary>
    /// Finds the first match starting at or after <paramref name="from"/> within the window this content
    /// allows after a previous match ending at <paramref name="prevEnd"/>. Returns the match start or -1.
    /// </summary>
    public int Find(ReadOnlySpan<byte> payload, int prevEnd, int from)
    {
        int start, end;
        if (IsRelative)
        {
            int distance = Distance ?? 0;
            start = Math.Max(0, prevEnd + distance);
            end = Within is { } within ? Math.Min(payload.Length, prevEnd + distance + within) : payload.Length;
        }
        else
        {
            start = Offset;
            end = Depth is { } depth ? Math.Min(payload.Length, Offset + depth) : payload.Length;
        }

        start = Math.Max(start, from);
        if (end - start < _pattern.Length)
        {
            return -1;
        }

        int at = IndexOf(payload[start..end]);
        return at < 0 ? -1 : start + at;
    }

    private int IndexOf(ReadOnlySpan<byte> window) => _foldCase ? IndexOfIgnoreCase(window) : window.IndexOf(_pattern);

    // Vectorised scan for the first byte in either case, then a case-folding compare of the rest.
    private int IndexOfIgnoreCase(ReadOnlySpan<byte> window)
    {
        int last = window.Length - _pattern.Length;
        int i = 0;
        while (i <= last)
        {
            int hit = _firstLower == _firstUpper
                ? window[i..(last + 1)].IndexOf(_firstLower)
                : window[i..(last + 1)].IndexOfAny(_firstLower, _firstUpper);
            if (hit < 0)
            {
                return -1;
            }

            i += hit;
            if (Ascii.EqualsIgnoreCase(window.Slice(i, _pattern.Length), _pattern))
            {
                return i;
            }

            i++;
        }

        return -1;
    }

    private static byte[] Lower(byte[] pattern)
    {
        var copy = (byte[])pattern.Clone();
        for (int i = 0; i < copy.Length; i++)
        {
            if (copy[i] is >= (byte)'A' and <= (byte)'Z')
            {
                copy[i] += 32;
            }
        }

        return copy;
    }

    private static byte ToUpper(byte b) => b is >= (byte)'a' and <= (byte)'z' ? (byte)(b - 32) : b;
}

/// <summary>
/// A rule's contents in order. A payload matches when every content matches; a relative content is tried
/// after each possible match of the one before it (backtracking, like Suricata), within a fixed work budget.
/// </summary>
public sealed class ContentSequence
{
    public static readonly ContentSequence Empty = new([]);

    // Suricata bounds backtracking too (inspection-recursion-limit); a hostile payload cannot make us spin.
    private const int SearchBudget = 3000;

    private readonly ContentMatch[] _items;

    public ContentSequence(ContentMatch[] items) => _items = items;

    public IReadOnlyList<ContentMatch> Items => _items;

    public bool IsEmpty => _items.Length == 0;

    public bool Matches(ReadOnlySpan<byte> payload)
    {
        int budget = SearchBudget;
        return _items.Length == 0 || MatchFrom(0, payload, 0, ref budget);
    }

    private bool MatchFrom(int index, ReadOnlySpan<byte> payload, int prevEnd, ref int budget)
    {
        if (index == _items.Length)
        {
            return true;
        }

        var content = _items[index];
        bool nextIsRelative = index + 1 < _items.Length && _items[index + 1].IsRelative;
        int from = 0;
        while (budget-- > 0)
        {
            int at = content.Find(payload, prevEnd, from);
            if (at < 0)
            {
                return false;
            }

            if (MatchFrom(index + 1, payload, at + content.Pattern.Length, ref budget))
            {
                return true;
            }

            if (!nextIsRelative)
            {
                // The next content does not depend on where this one matched: another position cannot help.
                return false;
            }

            from = at + 1;
        }

        return false;
    }
}
