using KalkiEdge.Core;
using KalkiEdge.Host.Commands;

namespace KalkiEdge.Host;

/// <summary>kalki-edge: the commands of <see cref="CommandCatalog"/>. Exit codes: 0 ok, 1 invalid input, 2 usage.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var parsed = CommandLine.Parse(args);
        if (parsed.Error is { } error)
        {
            Console.Error.WriteLine($"kalki-edge: {error}");
            Console.Error.Write(CommandCatalog.Find(parsed.Command) is { } command ? CommandCatalog.Help(command) : CommandCatalog.Overview());
            return ExitCodes.Usage;
        }

        if (parsed.WantsHelp)
        {
            Console.Write(CommandCatalog.Help(CommandCatalog.Find(parsed.Command)!));
            return ExitCodes.Ok;
        }

        try
        {
            return parsed.Command switch
            {
                "run" => RunCommand.Execute(parsed),
                "replay" => ReplayCommand.Execute(parsed),
                "check" => CheckCommand.Execute(parsed),
                "devices" => OperatorCommands.Devices(parsed),
                "reset" => OperatorCommands.Reset(parsed),
                "elements" => ElementsCommand.Execute(parsed),
                "backup" => BackupCommands.Backup(parsed),
                "restore" => BackupCommands.Restore(parsed),
                "update" => UpdateCommand.Execute(parsed),
                "version" => Version(),
                _ => Help(parsed.Argument),
            };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"kalki-edge: {e.Message}");
            return ExitCodes.Invalid;
        }
    }

    private static int Version()
    {
        Console.WriteLine($"kalki-edge {FirmwareVersion.Text}");
        return ExitCodes.Ok;
    }

    /// <summary><c>help</c> alone: the overview; <c>help COMMAND</c>: that command's help.</summary>
    private static int Help(string? command)
    {
        if (command is null)
        {
            Console.Write(CommandCatalog.Overview());
            return ExitCodes.Ok;
        }

        if (CommandCatalog.Find(command) is not { } spec)
        {
            Console.Error.WriteLine($"kalki-edge help: unknown command '{command}'");
            Console.Error.Write(CommandCatalog.Overview());
            return ExitCodes.Usage;
        }

        Console.Write(CommandCatalog.Help(spec));
        return ExitCodes.Ok;
    }
}

public static class ExitCodes
{
    public const int Ok = 0;
    public const int Invalid = 1;
    public const int Usage = 2;
}
