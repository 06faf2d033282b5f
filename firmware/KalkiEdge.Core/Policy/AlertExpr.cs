namespace KalkiEdge.Core.Policy;

/// <summary>
/// The alert part of a rule's condition: alert types with minimum counts inside the rule's window, combined with
/// AND/OR to any depth.
/// </summary>
public abstract record AlertExpr(SourceSpan At)
{
    /// <summary>Every alert type this expression mentions: only these can make the rule true.</summary>
    public abstract IEnumerable<AlertCount> Leaves();

    public abstract bool Holds(Func<string, long> count);
}

public sealed record AlertCount(string Type, long Min, SourceSpan At) : AlertExpr(At)
{
    public override IEnumerable<AlertCount> Leaves() => [this];

    public override bool Holds(Func<string, long> count) => count(Type) >= Min;

    public override string ToString() => $"{Type} >= {Min}";
}

public sealed record AlertCombination(Combine Combine, IReadOnlyList<AlertExpr> Items, SourceSpan At) : AlertExpr(At)
{
    public override IEnumerable<AlertCount> Leaves() => Items.SelectMany(i => i.Leaves());

    public override bool Holds(Func<string, long> count)
    {
        foreach (var item in Items)
        {
            bool holds = item.Holds(count);
            if (Combine == Combine.All && !holds)
            {
                return false;
            }

            if (Combine == Combine.Any && holds)
            {
                return true;
            }
        }

        return Combine == Combine.All;
    }

    public override string ToString() => $"{Combine.ToString().ToLowerInvariant()}(" + string.Join(", ", Items) + ")";
}
