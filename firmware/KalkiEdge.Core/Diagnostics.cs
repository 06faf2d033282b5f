namespace KalkiEdge.Core;

/// <summary>
/// One configuration/validation error with its place. Line and column are 1-based; 0 means unknown. Every
/// diagnostic is an error (the configuration is refused). <see cref="Suggestion"/> is the corrected word when
/// the message says "did you mean", for tools that offer the fix.
/// </summary>
public sealed record Diagnostic(string File, int Line, int Column, string Message, string? Suggestion = null)
{
    public override string ToString() =>
        Line > 0 ? $"{File}:{Line}:{Column}: error: {Message}" : $"{File}: error: {Message}";
}

/// <summary>A place in a source file, used to report errors after parsing.</summary>
public readonly record struct SourceSpan(string File, int Line, int Column)
{
    public static SourceSpan None(string file) => new(file, 0, 0);

    public SourceSpan Offset(int lines, int columns) =>
        new(File, Line + lines, lines == 0 ? Column + columns : columns + 1);
}

/// <summary>Collects every error so that validation reports all of them at once (Click-style).</summary>
public sealed class DiagnosticBag
{
    private readonly List<Diagnostic> _items = [];

    public IReadOnlyList<Diagnostic> Items => _items;

    public bool HasErrors => _items.Count > 0;

    public void Error(SourceSpan at, string message, string? suggestion = null) =>
        _items.Add(new Diagnostic(at.File, at.Line, at.Column, message, suggestion));

    public void AddRange(DiagnosticBag other) => _items.AddRange(other._items);

    public override string ToString() => string.Join(Environment.NewLine, _items);
}

/// <summary>Thrown when a configuration has errors; carries all of them.</summary>
public sealed class ConfigurationException : Exception
{
    public ConfigurationException(IReadOnlyList<Diagnostic> diagnostics)
        : base(string.Join(Environment.NewLine, diagnostics)) => Diagnostics = diagnostics;

    public ConfigurationException() : this([]) { }

    public ConfigurationException(string message) : base(message) => Diagnostics = [];

    public ConfigurationException(string message, Exception inner) : base(message, inner) => Diagnostics = [];

    public IReadOnlyList<Diagnostic> Diagnostics { get; } = [];
}
