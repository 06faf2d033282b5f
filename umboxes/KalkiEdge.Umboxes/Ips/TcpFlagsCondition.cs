using KalkiEdge.DataPlane;

namespace KalkiEdge.Umboxes.Ips;

public enum FlagsModifier : byte
{
    /// <summary>Exactly these flags (after the ignore mask).</summary>
    Exact,

    /// <summary><c>+</c>: these flags and possibly others.</summary>
    Plus,

    /// <summary><c>*</c>: any of these flags.</summary>
    Any,

    /// <summary><c>!</c>: not all of these flags (Suricata's reading of "not set").</summary>
    Not,
}

/// <summary>
/// The <c>flags</c> keyword with Suricata's semantics (detect-flags.c): letters F S R P A U C E (1 = C, 2 = E),
/// <c>0</c> for no flags, one modifier <c>+ * !</c>, and an optional <c>,mask</c> of flags to ignore.
/// Like Suricata, a rule naming any of S/R/F only sees packets carrying one of S/R/F, and a rule naming any of
/// U/E/C only packets carrying one of U/E/C (Suricata's signature mask, applied whatever the modifier: so
/// <c>!SA</c> never matches a bare ACK, and <c>*SU</c> needs one flag of each group).
/// <see cref="NeedsSynPacket"/> mirrors Suricata's SYN-only rule group: a rule without content naming S (other
/// than with <c>!</c>) is only tried on packets carrying SYN, which matters for <c>*</c>.
/// </summary>
public sealed record TcpFlagsCondition(byte Flags, FlagsModifier Modifier, byte IgnoreMask)
{
    public bool NeedsSynPacket { get; init; }

    private const byte InitDeinit = (byte)(TcpFlags.Syn | TcpFlags.Rst | TcpFlags.Fin);
    private const byte Unusual = (byte)(TcpFlags.Urg | TcpFlags.Ece | TcpFlags.Cwr);

    public bool Matches(TcpFlags packetFlags)
    {
        var flags = (byte)packetFlags;
        if (((Flags & InitDeinit) != 0 && (flags & InitDeinit) == 0) || ((Flags & Unusual) != 0 && (flags & Unusual) == 0)
            || (NeedsSynPacket && (flags & (byte)TcpFlags.Syn) == 0))
        {
            return false;
        }

        if (Flags == 0 && flags != 0)
        {
            // "flags:0" means no flags at all; "!0" means some flag set.
            return Modifier == FlagsModifier.Not;
        }

        flags &= (byte)~IgnoreMask;
        return Modifier switch
        {
            FlagsModifier.Any => (flags & Flags) != 0,
            FlagsModifier.Plus => (flags & Flags) == Flags,
            FlagsModifier.Not => (flags & Flags) != Flags,
            _ => flags == Flags,
        };
    }

    /// <summary>Parses the keyword's value; returns null and an error message on failure.</summary>
    public static TcpFlagsCondition? Parse(string text, out string? error)
    {
        error = null;
        var parts = text.Split(',');
        if (parts.Length > 2)
        {
            error = $"flags: expected 'FLAGS' or 'FLAGS,IGNORED', got '{text}'";
            return null;
        }

        var modifier = FlagsModifier.Exact;
        bool modifierSeen = false;
        int found = 0;
        byte flags = 0;
        foreach (var c in parts[0].Trim())
        {
            if (c is '+' or '*' or '!')
            {
                if (modifierSeen)
                {
                    error = "flags: only one modifier (+, * or !) is allowed";
                    return null;
                }

                modifierSeen = true;
                modifier = c switch { '+' => FlagsModifier.Plus, '*' => FlagsModifier.Any, _ => FlagsModifier.Not };
                continue;
            }

            if (c == '0')
            {
                found++;
                continue;
            }

            var bit = Bit(c);
            if (bit == 0)
            {
                error = $"flags: unknown flag '{c}' (use F S R P A U C E, 1 2, or 0)";
                return null;
            }

            flags |= bit;
            found++;
        }

        if (found == 0)
        {
            error = $"flags: no flags given in '{text}'";
            return null;
        }

        if (parts[0].Contains('0', StringComparison.Ordinal) && flags != 0)
        {
            error = "flags: '0' (no flags) cannot be combined with other flags";
            return null;
        }

        byte ignore = 0;
        if (parts.Length == 2)
        {
            var mask = parts[1].Trim();
            if (mask.Length == 0)
            {
                error = "flags: empty ignore mask after ','";
                return null;
            }

            foreach (var c in mask)
            {
                var bit = Bit(c);
                if (bit == 0)
                {
                    error = $"flags: unknown flag '{c}' in the ignore mask";
                    return null;
                }

                ignore |= bit;
            }
        }

        return new TcpFlagsCondition(flags, modifier, ignore);
    }

    private static byte Bit(char c) => char.ToUpperInvariant(c) switch
    {
        'F' => (byte)TcpFlags.Fin,
        'S' => (byte)TcpFlags.Syn,
        'R' => (byte)TcpFlags.Rst,
        'P' => (byte)TcpFlags.Psh,
        'A' => (byte)TcpFlags.Ack,
        'U' => (byte)TcpFlags.Urg,
        'C' or '1' => (byte)TcpFlags.Cwr,
        'E' or '2' => (byte)TcpFlags.Ece,
        _ => 0,
    };
}
