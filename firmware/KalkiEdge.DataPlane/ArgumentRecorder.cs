namespace KalkiEdge.DataPlane;

/// <summary>
/// One argument as its element's compiler reads it: the map it belongs to (<c>firewall</c>, or a nested map such as
/// <c>firewall rule</c>), its name, the kind of value, the default the compiler falls back to (null: none), whether
/// it is required, and its allowed values or range.
/// </summary>
public sealed record ArgumentInfo(string Owner, string Name, string Type, string? Default, bool Required, string? Allowed);

/// <summary>
/// Notes every argument an element's compiler asks <see cref="ElementArgs"/> for. Compiling an element with a
/// recorder attached describes its arguments from the parsing code itself, so the element reference cannot drift
/// from what is accepted. Recording never changes parsing.
/// </summary>
public sealed class ArgumentRecorder
{
    /// <summary>The type of an argument read without a typed reader.</summary>
    public const string AnyType = "value";

    private readonly List<ArgumentInfo> _arguments = [];

    /// <summary>In the order the compilers first read them.</summary>
    public IReadOnlyList<ArgumentInfo> Arguments => _arguments;

    internal void Note(string owner, string name, string type, string? fallback = null, string? allowed = null)
    {
        var i = _arguments.FindIndex(a => a.Owner == owner && a.Name == name);
        if (i < 0)
        {
            _arguments.Add(new ArgumentInfo(owner, name, type, fallback, false, allowed));
        }
        else if (_arguments[i].Type == AnyType && type != AnyType)
        {
            // A required argument has no default, whatever its reader falls back to after reporting it missing.
            _arguments[i] = _arguments[i] with { Type = type, Default = _arguments[i].Required ? null : fallback, Allowed = allowed };
        }
    }

    /// <summary>Gives a type to an argument already read untyped (e.g. a required node parsed afterwards).</summary>
    internal void Refine(string owner, string name, string type, string? fallback, string? allowed)
    {
        var i = _arguments.FindIndex(a => a.Owner == owner && a.Name == name);
        if (i >= 0 && _arguments[i].Type == AnyType)
        {
            // A required argument has no default, whatever its reader falls back to after reporting it missing.
            _arguments[i] = _arguments[i] with { Type = type, Default = _arguments[i].Required ? null : fallback, Allowed = allowed };
        }
    }

    internal void MarkRequired(string owner, string name)
    {
        var i = _arguments.FindIndex(a => a.Owner == owner && a.Name == name);
        if (i >= 0)
        {
            _arguments[i] = _arguments[i] with { Required = true, Default = null };
        }
    }
}
