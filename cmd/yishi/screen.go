package main

import (
	"context"
	"fmt"

	"yishi/bot"
	"yishi/bot/screening/screencli"
	"yishi/storage"
)

func openStore(dir string) (bot.Store, error) { return storage.Open(dir, storage.Options{}) }

func runScreen(ctx context.Context, args []string, io Stdio) error {
	if code := screencli.Screen(ctx, args, io.In, io.Out, io.Err, openStore); code != 0 {
		return exitCode(code)
	}
	return nil
}

func runDecisions(ctx context.Context, args []string, io Stdio) error {
	if len(args) == 0 || args[0] != "import" {
		fmt.Fprintln(io.Err, "用法: yishi decisions import FILE [--data DIR] [--community ID] [--partial]")
		return errUsage
	}
	if code := screencli.ImportDecisions(ctx, args[1:], io.In, io.Out, io.Err, openStore); code != 0 {
		return exitCode(code)
	}
	return nil
}
