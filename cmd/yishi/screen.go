package main

import (
	"context"
	"errors"
)

func runScreen(ctx context.Context, args []string, io Stdio) error {
	return errors.New("not yet wired")
}

func runDecisions(ctx context.Context, args []string, io Stdio) error {
	return errors.New("not yet wired")
}
