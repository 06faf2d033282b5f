using KalkiEdge.DataPlane;

namespace KalkiEdge.Umboxes.Ips;

/// <summary>One IPS rule as the operator sees it: where it is, what it is called, what it does (alert or drop), and what its contents are matched against.</summary>
public sealed record InspectedRule(long Sid, string Origin, string Message, string Inspection, string Action);

/// <summary>
/// The IPS rules some chains load, each once, with its inspection mode: <c>stream</c> (content matched on the
/// reassembled TCP stream around each segment, or the segment) or <c>packet</c> (each packet alone: rules with
/// <c>flags</c>, non-TCP rules, rules without content). <c>check --rules</c> prints it; the dashboard's rules page shows it per image.
/// </summary>
public static class RuleInspectionReport
{
    public const string Stream = "stream";
    public const string Packet = "packet";

    public static string Name(RuleInspection inspection) => inspection == RuleInspection.StreamOrPacket ? Stream : Packet;

    /// <summary>Every rule of every <c>ips</c> element in <paramref name="chains"/>, once per file and line, ordered by file, line.</summary>
    public static IReadOnlyList<InspectedRule> Of(IEnumerable<ChainDefinition> chains) =>
        [.. chains.SelectMany(c => c.Specs).OfType<ElementSpec<IpsConfig>>()
            .SelectMany(s => s.Config.Index.Rules)
            .DistinctBy(r => (r.At.File, r.At.Line, r.Sid))
            .OrderBy(r => r.At.File, StringComparer.Ordinal).ThenBy(r => r.At.Line)
            .Select(r => new InspectedRule(r.Sid, r.Origin, r.Message, Name(r.Inspection), r.Action == RuleAction.Drop ? "drop" : "alert"))];
}
