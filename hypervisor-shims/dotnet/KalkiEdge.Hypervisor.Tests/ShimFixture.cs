namespace KalkiEdge.Hypervisor.Tests;

/// <summary>A private directory per test for the emulated key file and fake device nodes.</summary>
public abstract class ShimFixture
{
    private DirectoryInfo? _directory;

    protected string Directory => _directory?.FullName ?? throw new InvalidOperationException("SetUp has not run.");

    protected string KeyPath => Path.Combine(Directory, "state", "hypervisor.key");

    [SetUp]
    public void CreateDirectory() => _directory = System.IO.Directory.CreateTempSubdirectory("kalkishim-dotnet-");

    [TearDown]
    public void DeleteDirectory() => _directory?.Delete(recursive: true);

    protected HypervisorShim OpenEmulated(HypervisorBackendRequest request = HypervisorBackendRequest.Emulated) =>
        HypervisorShim.Open(new HypervisorShimOptions { Backend = request, KeyPath = KeyPath });

    protected byte[] ReadKey() => File.ReadAllBytes(KeyPath);

    protected static byte[] Pattern(int length, byte seed)
    {
        var data = new byte[length];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (byte)((i * 31) + seed);
        }

        return data;
    }
}
