using Resync.Client;

return await ResyncCli.RunAsync(args, Console.Out, Console.Error);
