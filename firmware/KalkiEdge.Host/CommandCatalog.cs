using System.Text;

namespace KalkiEdge.Host;

/// <summary>One option of a command: <c>--name VALUE</c>, or a flag when <see cref="Value"/> is null.</summary>
public sealed record OptionSpec(string Name, string? Value, string Help)
{
    public bool IsFlag => Value is null;

    public string Synopsis => IsFlag ? Name : $"{Name} {Value}";
}

/// <summary>
/// One command: its usage line, what it does, its options and (at most one) positional argument. The parser and
/// every help text are generated from these, so help never disagrees with what is accepted.
/// </summary>
public sealed record CommandSpec(string Name, string Usage, string Summary, IReadOnlyList<OptionSpec> Options, string? Argument = null, string? Details = null)
{
    public OptionSpec? Option(string name) => Options.FirstOrDefault(o => o.Name == name);
}

/// <summary>The kalki-edge commands (docs/cli.md describes the same, with examples).</summary>
public static class CommandCatalog
{
    private static readonly OptionSpec Config = new("--config", "FILE", "the site configuration (kalki.yaml)");
    private static readonly OptionSpec Socket = new("--socket", "PATH", "the control socket (default: the config's management.control-socket, else the standard path)");

    public static readonly IReadOnlyList<CommandSpec> All =
    [
        new("run", "run [--config FILE] [--speed X]",
            "run the appliance: live bridge when the config has 'interfaces:', idle (management only) without; no config: the built-in simulation",
            [new("--config", "FILE", "the site configuration; without it, the built-in simulation profile"), new("--speed", "X", "simulation only: play the scenario X times faster than real time (default 1)")]),
        new("replay", "replay --pcap FILE [--config FILE] [--json | --eve] [--write FILE] [--persist] [--pair-window START[+SECONDS] [--network-mac MAC,...]]",
            "push a capture through the same engine and control plane as live; print alerts, transitions and a summary",
            [
                new("--pcap", "FILE", "the capture to replay (pcap, Ethernet link type); required"),
                new("--config", "FILE", "the site configuration; without it, the built-in simulation profile"),
                new("--json", null, "print JSON lines (docs/json-lines.md) instead of text"),
                new("--eve", null, "print Suricata EVE JSON lines (alerts, kalki_transition) instead of text; totals on stderr"),
                new("--write", "FILE", "write the frames the chains forward (and their replies) to a capture"),
                new("--persist", null, "start from and commit to the store in the config's data-dir, as a live run does"),
                new("--pair-window", "START[+SECONDS]", "open a pairing window START seconds after the capture's first frame (for SECONDS, else panel.pairing.window)"),
                new("--network-mac", "MAC,...", "with --pair-window: the network side's MACs (the gateway); every other frame comes from the device side"),
            ]),
        new("check", "check --config FILE [--json] [--rules]",
            "validate the configuration, packs, images and rules; report every error with file, line and column",
            [new("--config", "FILE", "the site configuration to check; required"), new("--json", null, "print one JSON object: the diagnostics with file, line, column, severity, message, suggestion"),
             new("--rules", null, "when valid, also list every ips rule the images and devices load, with its inspection: stream (reassembled TCP stream, or the packet) or packet (each packet alone)")]),
        new("devices", "devices [--json] [--config FILE | --socket PATH]",
            "list the running appliance's devices, states and chains (through its control socket)",
            [new("--json", null, "print the list as JSON"), Config, Socket]),
        new("reset", "reset --device NAME [--reason TEXT] [--config FILE | --socket PATH]",
            "operator state reset: the device returns to its initial state (audited with your uid)",
            [new("--device", "NAME", "the device to reset; required"), new("--reason", "TEXT", "recorded in the audit log"), Config, Socket]),
        new("elements", "elements [NAME] [--markdown] [--monitors]",
            "the μmbox element reference: every element (or one) with its arguments, defaults and an example",
            [new("--markdown", null, "print the reference as Markdown (umboxes/ELEMENTS.md is generated this way)"),
             new("--monitors", null, "print the device monitor reference as Markdown instead (docs/device-monitors.md)")],
            Argument: "NAME"),
        new("backup", "backup --config FILE --out ARCHIVE [--keys --passphrase-file FILE]",
            "write the site's data (run-time devices, edited packs and policies, history, audit log; keys only with --keys) to a checked archive",
            [new("--config", "FILE", "the site configuration (its data-dir is backed up); required"), new("--out", "ARCHIVE", "the archive to write; required"),
             new("--keys", null, "include the data directory's keys, sealed with the passphrase (PBKDF2 + AES-GCM)"),
             new("--passphrase-file", "FILE", "the passphrase's file (first line; - reads standard input): seals the keys with --keys, unseals them on restore")]),
        new("restore", "restore ARCHIVE --config FILE [--passphrase-file FILE]",
            "check a backup completely against this site and stage it; it replaces the site's data at the next start",
            [new("--config", "FILE", "the site configuration to restore into; required"),
             new("--passphrase-file", "FILE", "the passphrase the keys were sealed with (without it the keys on this appliance stay)")],
            Argument: "ARCHIVE"),
        new("update", "update BUNDLE [--reboot] [--rauc PATH]",
            "install a signed update bundle (.raucb) into the inactive root slot with RAUC; the old slot stays the fallback until the new one is healthy",
            [new("--reboot", null, "reboot into the new slot once it is installed"),
             new("--rauc", "PATH", "the rauc program to run (default: rauc on PATH)")],
            Argument: "BUNDLE"),
        new("version", "version", "print the firmware version (the same string GET /health reports)", []),
        new("help", "help [COMMAND]", "print this overview, or a command's options", [], Argument: "COMMAND"),
    ];

    public static CommandSpec? Find(string name) => All.FirstOrDefault(c => c.Name == name);

    /// <summary>The overview printed by <c>kalki-edge --help</c>.</summary>
    public static string Overview()
    {
        var text = new StringBuilder("usage: kalki-edge COMMAND [OPTIONS]    (kalki-edge COMMAND --help for its options)\n\ncommands:\n");
        foreach (var c in All)
        {
            text.Append($"  {c.Name,-9} {c.Summary}\n");
        }

        text.Append("\n  --version, -V  print the firmware version\n  --help, -h     print this overview\n\n");
        text.Append(ExitCodesText);
        return text.ToString();
    }

    /// <summary>The help of one command, printed by <c>kalki-edge COMMAND --help</c>.</summary>
    public static string Help(CommandSpec command)
    {
        var text = new StringBuilder($"usage: kalki-edge {command.Usage}\n\n{command.Summary}\n");
        if (command.Options.Count > 0)
        {
            text.Append("\noptions:\n");
            foreach (var o in command.Options)
            {
                text.Append($"  {o.Synopsis,-16} {o.Help}\n");
            }
        }

        text.Append($"  {"--help, -h",-16} print this help\n\n");
        text.Append(ExitCodesText);
        return text.ToString();
    }

    private const string ExitCodesText = "exit codes: 0 ok, 1 invalid input (configuration, capture, appliance unreachable), 2 usage error\n";
}
