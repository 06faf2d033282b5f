namespace KalkiEdge.UnitTests.Management;

/// <summary>
/// A test class whose every test gets a fresh <see cref="ManagementApp"/> (real Kestrel, real appliance and SQLite
/// store) in a temporary directory of its own, torn down and deleted after it. A class adds its own set-up in a
/// further [SetUp], which NUnit runs after this one.
/// </summary>
public abstract class ManagementAppFixture
{
    // The fields keep the names the classes had before they shared this base, so test bodies read as they did.
#pragma warning disable CA1707, IDE1006 // underscores: the classes' private-field style
    private protected string _dir = null!;
    private protected ManagementApp _app = null!;
#pragma warning restore CA1707, IDE1006

    [SetUp]
    public async Task StartManagementApp()
    {
        _dir = Directory.CreateTempSubdirectory($"kalki-{GetType().Name}-").FullName;
        _app = await Start(_dir);
    }

    /// <summary>Starts the app in its directory; a class that needs the server started otherwise says how.</summary>
    private protected virtual Task<ManagementApp> Start(string dir) => ManagementApp.StartAsync(dir);

    [TearDown]
    public async Task StopManagementApp()
    {
        await _app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools(); // pooled connections would keep the store's files open
        Directory.Delete(_dir, recursive: true);
    }
}
