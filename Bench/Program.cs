using Resync.Bench;

return await BenchCommand.RunAsync(args);
