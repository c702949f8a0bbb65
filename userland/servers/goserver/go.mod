module cyrius/goserver

go 1.19
