namespace KalkiEdge.UnitTests.Management;

/// <summary>
/// A test class whose every test gets a fresh <see cref="ManagementApp"/> (the real server over a real store) in
/// its own temporary directory, stopped and removed after the test.
/// </summary>
public abstract class ManagementAppTest
{
    protected string Dir { get; private set; } = null!;

    private protected ManagementApp App { get; private set; } = null!;

    /// <summary>Names the temporary directory, so a leftover one says which tests made it.</summary>
    protected abstract string TempPrefix { get; }

    [SetUp]
    public async Task StartManagementApp()
    {
        Dir = Directory.CreateTempSubdirectory(TempPrefix).FullName;
        App = await ManagementApp.StartAsync(Dir);
    }

    [TearDown]
    public async Task StopManagementApp()
    {
        await App.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(Dir, recursive: true);
    }
}
