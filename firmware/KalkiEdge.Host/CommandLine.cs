namespace KalkiEdge.Host;

/// <summary>Parsed command line: the command, its options, and any usage error.</summary>
public sealed record CommandLine(string Command, IReadOnlyDictionary<string, string> Options, IReadOnlySet<string> Flags, string? Error)
{
    public const string Usage = """
        usage:
          kalki-edge run [--config FILE] [--speed X]      run the appliance: the live bridge when the config has
                                                          interfaces:, else the simulation (no config: built-in)
          kalki-edge replay --pcap FILE [--config FILE] [--json] [--write FILE] [--persist]
                            [--pair-window START[+SECONDS] [--network-mac MAC,...]]
                                                          push a capture through the engine; print alerts,
                                                          transitions and a summary (JSON lines with --json);
                                                          --persist: start from and commit to the store
                                                          (the config's data-dir), as a live run does;
                                                          --pair-window: a pairing window opens START s into
                                                          the capture; frames not from a --network-mac come
                                                          from the device side
          kalki-edge check --config FILE                  validate configuration, packs, images and rules
          kalki-edge devices [--json] [--config FILE | --socket PATH]
                                                          list the running appliance's devices, states, chains
          kalki-edge reset --device NAME [--reason TEXT] [--config FILE | --socket PATH]
                                                          operator state reset: the device returns to its
                                                          initial state (audited with your uid)
          kalki-edge version
        """;

    private static readonly Dictionary<string, (string[] Options, string[] Flags)> Commands = new(StringComparer.Ordinal)
    {
        ["run"] = (["--config", "--speed"], []),
        ["replay"] = (["--pcap", "--config", "--write", "--pair-window", "--network-mac"], ["--json", "--persist"]),
        ["check"] = (["--config"], ["--json"]),
        ["devices"] = (["--config", "--socket"], ["--json"]),
        ["reset"] = (["--device", "--reason", "--config", "--socket"], []),
        ["version"] = ([], []),
        ["help"] = ([], []),
    };

    public string? Option(string name) => Options.TryGetValue(name, out var v) ? v : null;

    public bool Flag(string name) => Flags.Contains(name);

    public static CommandLine Parse(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            return new CommandLine("help", options, flags, null);
        }

        var command = args[0];
        if (!Commands.TryGetValue(command, out var spec))
        {
            return new CommandLine(command, options, flags, $"unknown command '{command}'");
        }

        for (int i = 1; i < args.Length; i++)
        {
            var a = args[i];
            if (spec.Flags.Contains(a))
            {
                flags.Add(a);
            }
            else if (spec.Options.Contains(a))
            {
                if (i + 1 >= args.Length)
                {
                    return new CommandLine(command, options, flags, $"{a} needs a value");
                }

                options[a] = args[++i];
            }
            else
            {
                return new CommandLine(command, options, flags, $"'{command}' does not take '{a}'");
            }
        }

        return new CommandLine(command, options, flags, null);
    }
}
