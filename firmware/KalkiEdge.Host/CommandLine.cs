using KalkiEdge.Core;

namespace KalkiEdge.Host;

/// <summary>Parsed command line: the command, its options, flags, positional argument, and any usage error.</summary>
public sealed record CommandLine(string Command, IReadOnlyDictionary<string, string> Options, IReadOnlySet<string> Flags, string? Error)
{
    /// <summary>The positional argument, for commands that take one (<c>elements NAME</c>).</summary>
    public string? Argument { get; init; }

    /// <summary><c>COMMAND --help</c>: print the command's help instead of running it.</summary>
    public bool WantsHelp { get; init; }

    public string? Option(string name) => Options.TryGetValue(name, out var v) ? v : null;

    public bool Flag(string name) => Flags.Contains(name);

    public static CommandLine Parse(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        CommandLine Failed(string command, string error) => new(command, options, flags, error);
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            return new CommandLine("help", options, flags, null);
        }

        if (args[0] is "-V" or "--version")
        {
            return new CommandLine("version", options, flags, null);
        }

        var command = args[0];
        if (CommandCatalog.Find(command) is not { } spec)
        {
            return Failed(command, $"unknown command '{command}'{Spelling.Hint(Spelling.Closest(command, CommandCatalog.All.Select(c => c.Name)))}");
        }

        string? argument = null;
        bool help = false;
        for (int i = 1; i < args.Length; i++)
        {
            var a = args[i];
            if (a is "-h" or "--help")
            {
                help = true;
            }
            else if (spec.Option(a) is { } option)
            {
                if (option.IsFlag)
                {
                    flags.Add(a);
                }
                else if (i + 1 >= args.Length)
                {
                    return Failed(command, $"{a} needs a value");
                }
                else
                {
                    options[a] = args[++i];
                }
            }
            else if (spec.Argument is not null && argument is null && !a.StartsWith('-'))
            {
                argument = a;
            }
            else
            {
                var hint = a.StartsWith('-') ? Spelling.Hint(Spelling.Closest(a, spec.Options.Select(o => o.Name))) : "";
                return Failed(command, $"'{command}' does not take '{a}'{hint}");
            }
        }

        return new CommandLine(command, options, flags, null) { Argument = argument, WantsHelp = help };
    }
}
