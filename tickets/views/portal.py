from django.http import HttpResponse


def home(request):
    return HttpResponse("portal")


def ticket_detail(request, public_id):
    return HttpResponse("ticket")
