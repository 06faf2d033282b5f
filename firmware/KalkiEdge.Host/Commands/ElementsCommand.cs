using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes;

namespace KalkiEdge.Host.Commands;

/// <summary>kalki-edge elements [NAME] [--markdown] [--monitors]: the element (or device monitor) reference generated from its registry.</summary>
internal static class ElementsCommand
{
    public static int Execute(CommandLine cl)
    {
        if (cl.Flag("--monitors"))
        {
            Console.Write(Devices.Monitoring.MonitorCompilation.Markdown(Devices.MonitorLibrary.CreateRegistry()));
            return ExitCodes.Ok;
        }

        var registry = UmboxLibrary.CreateRegistry();
        if (cl.Argument is { } name)
        {
            if (!registry.TryGet(name, out var kind))
            {
                Console.Error.WriteLine($"kalki-edge elements: unknown element '{name}'{Spelling.Hint(registry.Suggest(name))}; known: {string.Join(", ", registry.Kinds.Select(k => k.Name))}");
                return ExitCodes.Invalid;
            }

            var doc = ElementReference.Describe(registry, kind);
            Console.Write(cl.Flag("--markdown") ? ElementReference.Markdown([doc]) : ElementReference.Text(doc));
            return ExitCodes.Ok;
        }

        var all = ElementReference.Describe(registry);
        Console.Write(cl.Flag("--markdown") ? ElementReference.Markdown(all) : ElementReference.Index(all) + "\n'kalki-edge elements NAME' shows an element's arguments, defaults and an example.\n");
        return ExitCodes.Ok;
    }
}
