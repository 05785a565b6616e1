namespace Dsdr.Core.Results;

/// <summary>Puts the bootstrap's intervals and paired differences on a built table (docs/STATISTICS.md).</summary>
internal static class ResultStatistics
{
    public static ResultTable Annotate(ResultTable table, ResultSample sample, ResultStatisticsOptions options)
    {
        var (reference, error) = sample.ResolveReference(options.Reference);
        if (reference is null && options.ReferenceRequired) throw new UnknownReferenceException(options.Reference, error!);
        var rows = table.Rows.Select(row => row with
        {
            Cells = [.. row.Cells.Select((cell, i) => cell is null ? null : Annotate(cell, row.Row, table.Columns[i], reference, sample))],
        }).ToList();
        var o = sample.Bootstrap.Options;
        return table with { Rows = rows, Statistics = new ResultStatisticsSummary(reference, o.Replicates, o.Seed, o.Level, sample.HasProblems) };
    }

    private static ResultCell Annotate(ResultCell cell, string row, ResultColumn column, string? reference, ResultSample sample)
    {
        if (sample.Figures(row, column) is not { } mine) return cell;
        var estimate = sample.Bootstrap.Estimate(row, mine);
        cell = cell with { CiLow = estimate.CiLow, CiHigh = estimate.CiHigh };
        if (reference is null || reference == row || sample.Figures(reference, column) is not { } theirs) return cell;
        var d = sample.Bootstrap.Difference(row, mine, reference, theirs);
        return cell with { Delta = new ResultDelta(reference, d.Mean, d.CiLow, d.CiHigh, d.P, d.Significant) };
    }
}
