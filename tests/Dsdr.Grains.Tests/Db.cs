using Dapper;
using Npgsql;

namespace Dsdr.Grains.Tests;

/// <summary>Reads a test's PostgreSQL database directly, as the web layer would.</summary>
internal static class Db
{
    public static async Task<T> ScalarAsync<T>(string connectionString, string sql, object? parameters = null)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        return await connection.ExecuteScalarAsync<T>(sql, parameters) ?? throw new InvalidOperationException($"No value from: {sql}");
    }

    public static async Task<List<T>> QueryAsync<T>(string connectionString, string sql, object? parameters = null)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        return (await connection.QueryAsync<T>(sql, parameters)).AsList();
    }
}
