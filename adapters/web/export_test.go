package web

// MaskPhones is maskPhones for the tests.
var MaskPhones = maskPhones
