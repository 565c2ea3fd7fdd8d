package main

import (
	"context"
	"fmt"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/screening/screencli"
	"github.com/yishi-community/yishi/storage"
)

func openStore(dir string) (bot.Store, error) { return storage.Open(dir, storage.Options{}) }

func runScreen(ctx context.Context, args []string, io Stdio) error {
	if code := screencli.Screen(ctx, args, io.In, io.Out, io.Err, openStoreReadOnly); code != 0 {
		return exitCode(code)
	}
	return nil
}

func runDecisions(ctx context.Context, args []string, io Stdio) error {
	var code int
	switch {
	case len(args) > 0 && args[0] == "import":
		code = screencli.ImportDecisions(ctx, args[1:], io.In, io.Out, io.Err, openStore)
	case len(args) > 0 && args[0] == "export":
		code = screencli.ExportDecisions(ctx, args[1:], io.Out, io.Err, openStoreReadOnly)
	default:
		fmt.Fprintln(io.Err, "用法: yishi decisions import FILE --data DIR [--community ID] [--partial]")
		fmt.Fprintln(io.Err, "      yishi decisions export --data DIR [--community ID] [--out FILE]")
		return errUsage
	}
	if code != 0 {
		return exitCode(code)
	}
	return nil
}
