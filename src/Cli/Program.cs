using MMAdapt.Cli;

return MmadaptCli.Run(args, Console.Out, Console.Error);
